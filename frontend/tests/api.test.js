import { describe, expect, it, vi } from 'vitest'
import { ApiError, NetworkError, request } from '../src/api.js'

const answer = (status, text) => async () => new Response(text, { status })

describe('request', () => {
  it('returns the parsed body of a success', async () => {
    await expect(request('GET', '/x', { fetcher: answer(200, '{"a":1}') })).resolves.toEqual({ a: 1 })
  })

  it('returns null for an empty success', async () => {
    await expect(request('POST', '/x', { fetcher: answer(204, null) })).resolves.toBeNull()
  })

  it('refuses a success whose body is not JSON', async () => {
    const broken = '{"p90_hours":Infinity}'
    const error = await request('GET', '/x', { fetcher: answer(200, broken) }).catch((e) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error.code).toBe('invalid_response')
  })

  it('carries the API error shape and treats gateway errors as retryable', async () => {
    const refused = '{"error":{"code":"invalid_input","message":"No","details":[{"field":"phone","code":"invalid_phone"}]}}'
    const error = await request('POST', '/x', { fetcher: answer(400, refused) }).catch((e) => e)
    expect(error.fields).toEqual({ phone: 'invalid_phone' })
    const gateway = await request('GET', '/x', { fetcher: answer(504, '<html>') }).catch((e) => e)
    expect(gateway).toBeInstanceOf(NetworkError)
  })
})

describe('who am I', () => {
  it('is one request however many parts of a starting page ask while it is on its way', async () => {
    const { staffApi, useStaffAuth } = await import('../src/api.js')
    const asked = []
    let answer
    vi.stubGlobal('fetch', (url) => {
      asked.push(url)
      return new Promise((resolve) => {
        answer = () => resolve(new Response('{"username":"district.admin","roles":["district"]}', { status: 200 }))
      })
    })
    useStaffAuth(async () => 'token', () => {})
    try {
      const frame = staffApi.me()
      const page = staffApi.me()
      await vi.waitFor(() => expect(asked).toHaveLength(1))
      answer()
      expect(await frame).toEqual(await page)
      expect(asked).toEqual(['/api/staff/me'])
      const later = staffApi.me() // asked again once answered (the account page refreshes it)
      await vi.waitFor(() => expect(asked).toHaveLength(2))
      answer()
      await expect(later).resolves.toMatchObject({ username: 'district.admin' })
    } finally {
      vi.unstubAllGlobals()
    }
  })
})

import { describe, expect, it } from 'vitest'
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

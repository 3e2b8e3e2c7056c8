import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const json = (status, body) => new Response(JSON.stringify(body), { status })

async function freshAuth() {
  vi.resetModules()
  return import('../src/staff/auth.js')
}

describe('staff sign-in', () => {
  let calls
  beforeEach(() => {
    sessionStorage.clear()
    localStorage.clear()
    calls = []
  })
  afterEach(() => vi.unstubAllGlobals())

  function serve(answers) {
    vi.stubGlobal('fetch', async (url, init) => {
      calls.push({ url, body: init.body ? JSON.parse(init.body) : undefined, headers: init.headers })
      return answers.shift()
    })
  }

  it('keeps tokens in the tab and passes on what the API still asks for', async () => {
    const auth = await freshAuth()
    serve([json(200, { challenge: 'new_password' })])
    expect(await auth.signIn('clerk', 'temp')).toEqual({ challenge: 'new_password' })
    expect(auth.signedIn()).toBe(false)
    serve([json(200, { username: 'clerk', access_token: 'a1', refresh_token: 'r1', expires_in: 900 })])
    await auth.setNewPassword('clerk', 'temp', 'Yushan-2026-ok')
    expect(calls[1].body).toEqual({ username: 'clerk', password: 'temp', new_password: 'Yushan-2026-ok' })
    expect(JSON.parse(localStorage.getItem('whistle.staff')).refresh).toBe('r1')
  })

  it('renews with the refresh token and keeps the new one, which replaces it', async () => {
    const auth = await freshAuth()
    serve([json(200, { username: 'clerk', access_token: 'a1', refresh_token: 'r1', expires_in: 30 })])
    await auth.signIn('clerk', 'pw')
    serve([json(200, { username: 'clerk', access_token: 'a2', refresh_token: 'r2', expires_in: 900 })])
    expect(await auth.accessToken()).toBe('a2') // under a minute left: renewed first
    expect(calls[1].url).toBe('/api/auth/refresh')
    expect(calls[1].body).toEqual({ refresh_token: 'r1' })
    expect(auth.session.tokens.refresh).toBe('r2')
    serve([json(401, { error: { code: 'invalid_token', message: 'x', details: [] } })])
    expect(await auth.accessToken({ force: true })).toBeNull()
    expect(auth.signedIn()).toBe(false)
  })

  it('shares one sign-in with the other tabs of the browser', async () => {
    const auth = await freshAuth()
    serve([json(200, { username: 'clerk', access_token: 'a1', refresh_token: 'r1', expires_in: 30, session_expires_in: 43200 })])
    await auth.signIn('clerk', 'pw')
    expect(auth.session.tokens.sessionEndsAt).toBeGreaterThan(Date.now() + 43000_000)
    // Another tab renewed first (a refresh token works once): this tab takes its tokens.
    const renewed = { ...auth.session.tokens, access: 'a2', refresh: 'r2', expiresAt: Date.now() + 900_000 }
    localStorage.setItem('whistle.staff', JSON.stringify(renewed))
    serve([])
    expect(await auth.accessToken()).toBe('a2')
    expect(calls).toHaveLength(1) // only the sign-in: no second use of r1
    // Another tab signs out: this one is signed out as well.
    localStorage.removeItem('whistle.staff')
    window.dispatchEvent(new StorageEvent('storage', { key: 'whistle.staff', newValue: null }))
    expect(auth.signedIn()).toBe(false)
    // And signs in again: this one follows.
    localStorage.setItem('whistle.staff', JSON.stringify(renewed))
    window.dispatchEvent(new StorageEvent('storage', { key: 'whistle.staff', newValue: JSON.stringify(renewed) }))
    expect(auth.session.tokens.access).toBe('a2')
  })

  it('keeps the sign-in when the API cannot be reached for a renewal', async () => {
    const auth = await freshAuth()
    serve([json(200, { username: 'clerk', access_token: 'a1', refresh_token: 'r1', expires_in: 30 })])
    await auth.signIn('clerk', 'pw')
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('offline')
    })
    expect(await auth.accessToken()).toBe('a1')
    expect(auth.signedIn()).toBe(true)
  })

  it('refuses a work-chat code this tab did not ask for', async () => {
    const auth = await freshAuth()
    serve([])
    history.replaceState(null, '', '/?work_chat=wecom&code=c1&state=forged#/')
    const returned = auth.workChatReturn()
    expect(returned).toEqual({ provider: 'wecom', code: 'c1', state: 'forged' })
    const error = await auth.finishWorkChat(returned).catch((e) => e)
    expect(error.code).toBe('work_chat_refused')
    expect(calls).toEqual([])
    expect(location.search).toBe('')
  })

  it('exchanges a work-chat code when the state matches', async () => {
    const auth = await freshAuth()
    sessionStorage.setItem('whistle.workChat', JSON.stringify({ provider: 'dingtalk', state: 's1', next: '/district' }))
    history.replaceState(null, '', '/?work_chat=dingtalk&authCode=c2&state=s1')
    serve([json(200, { username: 'clerk', access_token: 'a1', refresh_token: 'r1', expires_in: 900 })])
    expect(await auth.finishWorkChat(auth.workChatReturn())).toBe('/district')
    expect(calls[0].body).toEqual({ provider: 'dingtalk', code: 'c2' })
    expect(auth.signedIn()).toBe(true)
  })
})

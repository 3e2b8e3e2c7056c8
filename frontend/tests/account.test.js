import { describe, expect, it } from 'vitest'
import { createAccount } from '../src/resident/account.js'
import { parseCaseLink } from '../src/resident/caseAccess.js'

function memoryStorage() {
  const data = new Map()
  return {
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => data.set(k, String(v)),
    removeItem: (k) => data.delete(k),
  }
}

describe('a resident signed in by phone', () => {
  it('keeps the session on the phone until it expires, then forgets it', () => {
    const storage = memoryStorage()
    let now = Date.parse('2026-12-01T03:00:00Z')
    const account = createAccount(storage, () => now)
    account.signedIn({ token: 'abc', expires_at: '2026-12-01T04:00:00Z', phone: '139****5678' })
    expect(createAccount(storage, () => now).token()).toBe('abc') // another tab, same phone
    expect(account.phone()).toBe('139****5678')
    now = Date.parse('2026-12-01T04:00:01Z')
    expect(account.token()).toBe(null)
    expect(createAccount(storage, () => now).state.session).toBe(null)
  })

  it('signs out', () => {
    const storage = memoryStorage()
    const account = createAccount(storage, () => 0)
    account.signedIn({ token: 'abc', expires_at: '2026-12-01T04:00:00Z', phone: '139****5678' })
    account.signOut()
    expect(createAccount(storage, () => 0).token()).toBe(null)
  })
})

describe('the link of a resident SMS', () => {
  it('is the case code and its key', () => {
    expect(parseCaseLink('YS-2611-27-0042.AbC-d_e1234567890')).toEqual({ code: 'YS-2611-27-0042', key: 'AbC-d_e1234567890' })
  })

  it('is nothing without a key or a code', () => {
    expect(parseCaseLink('YS-2611-27-0042')).toBe(null)
    expect(parseCaseLink('YS-2611-27-0042.')).toBe(null)
    expect(parseCaseLink('.key')).toBe(null)
    expect(parseCaseLink(undefined)).toBe(null)
  })
})

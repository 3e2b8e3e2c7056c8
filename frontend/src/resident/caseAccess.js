// What opens a case for the resident on this phone: the token (or SMS link key) remembered
// under "my reports", or the session of the number they signed in with.
import { account } from './account.js'
import { reports } from './session.js'

/** The code and key of an SMS link ("YS-2611-27-0042.AbC…"), or null. */
export function parseCaseLink(link) {
  const text = String(link || '')
  const dot = text.lastIndexOf('.')
  if (dot <= 0 || dot === text.length - 1) return null
  return { code: text.slice(0, dot), key: text.slice(dot + 1) }
}

export function accessFor(code) {
  return { token: reports.find(code)?.token || '', session: account.token() || '' }
}

export function canOpen(access) {
  return Boolean(access.token || access.session)
}

// Staff sign-in through Whistle's own API (/api/auth/…), the same in every region: username
// and password (and the 6-digit code of a second factor), a new password at the first
// sign-in and after a reset, sign-in with WeCom or DingTalk, token refresh, sign-out.
// Tokens are shared by the browser's tabs (session/staff.js): one tab at a time renews them
// (a Web Lock), the others take the renewed ones, since a refresh token works only once. The
// API checks every request itself.
import { watch } from 'vue'
import { ApiError, request, staffApi, useStaffAuth } from '../api.js'
import { i18n } from '../i18n.js'
import { saveTokens as save, session, signedIn, storedTokens } from '../session/staff.js'
import { staffStrings } from './strings.js'

// The session itself is session/staff.js's; re-exported for callers that sign in and then look.
export { session, signedIn }

const WORK_CHAT_KEY = 'whistle.workChat'
let configPromise = null

export function runtimeConfig(fetcher = fetch) {
  configPromise ??= fetcher('/config.json', { cache: 'no-store' }).then((r) => r.json())
  return configPromise
}

/** A refused sign-in: `code` is the API's error code ('network' when it was not reached). */
export class SignInError extends Error {
  constructor(code, message) {
    super(message)
    this.code = code
  }
}

async function auth(path, body, headers = {}) {
  try {
    return await request('POST', `/auth/${path}`, { body, headers })
  } catch (error) {
    if (error instanceof ApiError) throw new SignInError(error.code, error.message)
    throw new SignInError('network', 'network')
  }
}

function remember(result) {
  save({
    username: result.username,
    access: result.access_token,
    refresh: result.refresh_token,
    expiresAt: Date.now() + result.expires_in * 1000,
    // When the sign-in itself ends (a working day): the staff pages warn before.
    sessionEndsAt: result.session_expires_in ? Date.now() + result.session_expires_in * 1000 : null,
  })
}

/** Signed in, or `{challenge: 'new_password' | 'totp'}`: the step still missing. */
function finish(result) {
  if (result.challenge) return { challenge: result.challenge }
  remember(result)
  return { signedIn: true }
}

export async function signIn(username, password, totp) {
  return finish(await auth('sign-in', { username, password, ...(totp ? { totp } : {}) }))
}

/** Choose a new password (the current or temporary one proves who asks). */
export async function setNewPassword(username, password, newPassword, totp) {
  const body = { username, password, new_password: newPassword, ...(totp ? { totp } : {}) }
  return finish(await auth('password', body))
}

let refreshing = null

/** Run `work` while no other tab of this browser renews the tokens. */
function oneTabAtATime(work) {
  const locks = globalThis.navigator?.locks
  return locks ? locks.request('whistle.staff.refresh', work) : work()
}

/** A fresh access token, refreshed a minute before it expires; null when signed out. */
export async function accessToken({ force = false } = {}) {
  const tokens = session.tokens
  if (!tokens) return null
  if (!force && tokens.expiresAt - Date.now() > 60_000) return tokens.access
  const seen = tokens.refresh
  refreshing ??= oneTabAtATime(async () => {
    // Another tab may have renewed (or signed out) while this one waited: use what it left.
    const current = storedTokens()
    if (!current || current.refresh !== seen) {
      session.tokens = current
      return current?.access ?? null
    }
    remember(await auth('refresh', { refresh_token: current.refresh }))
    return session.tokens.access
  })
    .catch((error) => {
      // Unreachable is not refused: keep the sign-in and let the request fail as it will.
      if (error instanceof SignInError && error.code === 'network') return session.tokens?.access ?? null
      save(null)
      return null
    })
    .finally(() => {
      refreshing = null
    })
  return refreshing
}

// Set while this tab signs out itself: it chooses where to go (other tabs follow the watch).
let leavingHere = false

/** Sign out everywhere: the API ends every session of the account. */
export function signOut() {
  leavingHere = true
  const tokens = session.tokens
  save(null)
  session.me = null
  if (tokens) auth('sign-out', undefined, { Authorization: `Bearer ${tokens.access}` }).catch(() => {})
}

// -- WeCom / DingTalk ------------------------------------------------------------------------

/** The work-chat apps the district configured: [{provider, authorize_url, in_app_url?}]. */
export async function workChatProviders() {
  try {
    return (await request('GET', '/auth/work-chat')).providers
  } catch {
    return []
  }
}

function randomState() {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** Leave for the work-chat app's sign-in; it comes back here with a one-time code. */
export function startWorkChat(provider, next = '/staff') {
  const state = randomState()
  sessionStorage.setItem(WORK_CHAT_KEY, JSON.stringify({ provider: provider.provider, state, next }))
  const back = `${location.origin}${location.pathname}?work_chat=${provider.provider}`
  // Inside WeCom's own browser the member is known without scanning a QR code.
  const inApp = provider.in_app_url && /wxwork/i.test(navigator.userAgent)
  const start = inApp ? provider.in_app_url : provider.authorize_url
  const target = `${start}&redirect_uri=${encodeURIComponent(back)}&state=${state}`
  location.assign(inApp ? `${target}#wechat_redirect` : target)
}

/** A work-chat sign-in coming back (`?work_chat=…&code=…&state=…`), or null. */
export function workChatReturn() {
  const query = new URLSearchParams(location.search)
  if (!query.has('work_chat')) return null
  return {
    provider: query.get('work_chat'),
    code: query.get('code') || query.get('authCode') || '',
    state: query.get('state') || '',
  }
}

/** Exchange the code for a session; resolves the page to go on to. */
export async function finishWorkChat(returned) {
  let started = null
  try {
    started = JSON.parse(sessionStorage.getItem(WORK_CHAT_KEY) || 'null')
  } catch {
    /* treated as not started here */
  }
  sessionStorage.removeItem(WORK_CHAT_KEY)
  history.replaceState(null, '', `${location.pathname}${location.hash}`)
  // The state proves this tab started the sign-in (no code slipped in from elsewhere).
  if (!started || started.provider !== returned.provider || started.state !== returned.state) {
    throw new SignInError('work_chat_refused', 'state')
  }
  remember(await auth('work-chat', { provider: returned.provider, code: returned.code }))
  return started.next
}

/** Connect the API client to this session; a refused session goes back to sign-in. */
/** A staff page's strings and "who am I" are asked for while the page's code loads, not after
 * it: the page shows nothing until its strings are there, and its figures wait for its account. */
function startStaffPage() {
  // Loaded again, and reported, by the page if any of these fails.
  import('./messages.js').catch(() => {})
  for (const locale of new Set(['zh-CN', i18n.locale])) staffStrings(locale).catch(() => {})
  if (!session.me) {
    staffApi.me().then(
      (me) => (session.me ??= me),
      () => {}, // a refused session goes back to sign-in (api.js); the frame asks again otherwise
    )
  }
}

export function installStaffAuth(router) {
  useStaffAuth(accessToken, () => {
    save(null)
    const next = router.currentRoute.value.fullPath
    router.push({ name: 'signin', query: { next } })
  })
  router.beforeEach((to) => {
    if (to.name !== 'signin' && workChatReturn()) return { name: 'signin' }
    if (to.meta.staff && !signedIn()) return { name: 'signin', query: { next: to.fullPath } }
    if (to.meta.staff) startStaffPage()
    return true
  })
  // Signed out in another tab, or the sign-in ended: this tab leaves the staff pages too.
  watch(
    () => session.tokens,
    (tokens) => {
      if (leavingHere) {
        leavingHere = false
        return
      }
      const here = router.currentRoute.value
      if (!tokens && here.meta.staff) router.push({ name: 'signin', query: { next: here.fullPath } })
    },
  )
  // Renewed in the background, so a page left open keeps working through the day.
  setInterval(() => {
    if (session.tokens) accessToken()
  }, 30_000)
}

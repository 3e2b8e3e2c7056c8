// A resident signed in by phone: the short-lived session that opens every case filed with
// the number, on any device. Kept on this phone until it expires or the resident signs out.
import { reactive } from 'vue'

const STORAGE_KEY = 'whistle.resident'

function read(storage, now) {
  try {
    const saved = JSON.parse(storage.getItem(STORAGE_KEY) || 'null')
    if (saved && typeof saved.token === 'string' && Date.parse(saved.expires_at) > now()) return saved
  } catch {
    /* unreadable: signed out */
  }
  return null
}

export function createAccount(storage = globalThis.localStorage, now = () => Date.now()) {
  const state = reactive({ session: read(storage, now) })

  return {
    state,
    /** The session token while it lasts, else null (and the stale one is forgotten). */
    token() {
      const session = state.session
      if (session && Date.parse(session.expires_at) > now()) return session.token
      if (session) this.signOut()
      return null
    },
    phone() {
      return this.token() ? state.session.phone : ''
    },
    signedIn(session) {
      state.session = { token: session.token, expires_at: session.expires_at, phone: session.phone }
      try {
        storage.setItem(STORAGE_KEY, JSON.stringify(state.session))
      } catch {
        /* private mode: signed in for this visit */
      }
    },
    signOut() {
      state.session = null
      try {
        storage.removeItem(STORAGE_KEY)
      } catch {
        /* nothing kept */
      }
    },
  }
}

export const account = createAccount()

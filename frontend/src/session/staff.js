// Who is signed in as staff in this tab: the tokens Whistle issued, kept in this tab's session storage
// only, and the API's answer to "who am I" once someone has asked. The staff pages read it, and
// so does the resident report form, through which a signed-in grid worker or property company
// reports. Signing in and out and refreshing tokens are the staff side's (staff/auth.js).
import { reactive } from 'vue'

const STORAGE_KEY = 'whistle.staff'

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null')
  } catch {
    return null
  }
}

export const session = reactive({ tokens: load(), me: null })

/** Keep `tokens` for this tab, or forget them (null). */
export function saveTokens(tokens) {
  session.tokens = tokens
  if (tokens) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(tokens))
  else sessionStorage.removeItem(STORAGE_KEY)
}

export function signedIn() {
  return Boolean(session.tokens)
}

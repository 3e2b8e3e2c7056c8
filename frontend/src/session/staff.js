// Who is signed in as staff in this browser: the tokens Whistle issued, kept in local storage
// so that every tab of the browser shares one sign-in for the working day, and the API's
// answer to "who am I" once someone has asked. A sign-in, a renewal or a sign-out in one tab
// reaches the others through the storage event. The staff pages read it, and so does the
// resident report form, through which a signed-in grid worker or property company reports.
// Signing in and out and refreshing tokens are the staff side's (staff/auth.js).
import { reactive } from 'vue'

export const STORAGE_KEY = 'whistle.staff'

function parse(text) {
  try {
    return JSON.parse(text || 'null')
  } catch {
    return null
  }
}

/** The tokens as the browser holds them now (another tab may have renewed them). */
export function storedTokens() {
  return parse(localStorage.getItem(STORAGE_KEY))
}

export const session = reactive({ tokens: storedTokens(), me: null })

/** Keep `tokens` for every tab of this browser, or forget them everywhere (null). */
export function saveTokens(tokens) {
  const before = session.tokens?.username
  session.tokens = tokens
  if (!tokens || tokens.username !== before) session.me = null
  if (tokens) localStorage.setItem(STORAGE_KEY, JSON.stringify(tokens))
  else localStorage.removeItem(STORAGE_KEY)
}

export function signedIn() {
  return Boolean(session.tokens)
}

// Another tab signed in, renewed or signed out.
if (typeof window !== 'undefined') {
  window.addEventListener('storage', (event) => {
    if (event.key !== STORAGE_KEY && event.key !== null) return
    const tokens = storedTokens()
    if (!tokens || tokens.username !== session.tokens?.username) session.me = null
    session.tokens = tokens
  })
}

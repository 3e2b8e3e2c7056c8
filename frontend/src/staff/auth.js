// Staff sign-in against the Cognito user pool (moto's locally): username and password,
// a new password on first sign-in, token refresh, sign-out. Tokens live in this tab's
// session storage only (session/staff.js); the API verifies every access token itself.
import { saveTokens, session, signedIn } from '../session/staff.js'

let configPromise = null

export function runtimeConfig(fetcher = fetch) {
  configPromise ??= fetcher('/config.json', { cache: 'no-store' }).then((r) => r.json())
  return configPromise
}

export class SignInError extends Error {
  constructor(code, message) {
    super(message)
    this.code = code
  }
}

async function cognito(action, body, fetcher = fetch) {
  const config = await runtimeConfig(fetcher)
  let response
  try {
    response = await fetcher(config.cognito.endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify({ ClientId: config.cognito.clientId, ...body }),
    })
  } catch {
    throw new SignInError('network', 'network')
  }
  const data = await response.json().catch(() => ({}))
  if (!response.ok) {
    const type = String(data.__type || data.code || 'error').split('#').pop()
    throw new SignInError(type, data.message || type)
  }
  return data
}

function remember(result, username, refresh) {
  const auth = result.AuthenticationResult
  saveTokens({
    username,
    access: auth.AccessToken,
    refresh: auth.RefreshToken || refresh,
    expiresAt: Date.now() + (auth.ExpiresIn || 3600) * 1000,
  })
}

/** Sign in; resolves {challenge: 'NEW_PASSWORD_REQUIRED', session} for a first sign-in. */
export async function signIn(username, password) {
  const result = await cognito('InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: username, PASSWORD: password },
  })
  if (result.ChallengeName === 'NEW_PASSWORD_REQUIRED') {
    return { challenge: result.ChallengeName, session: result.Session }
  }
  remember(result, username)
  return { signedIn: true }
}

export async function setNewPassword(username, newPassword, challengeSession) {
  const result = await cognito('RespondToAuthChallenge', {
    ChallengeName: 'NEW_PASSWORD_REQUIRED',
    Session: challengeSession,
    ChallengeResponses: { USERNAME: username, NEW_PASSWORD: newPassword },
  })
  remember(result, username)
}

let refreshing = null

/** A fresh access token, refreshed a minute before it expires; null when signed out. */
export async function accessToken({ force = false } = {}) {
  const tokens = session.tokens
  if (!tokens) return null
  if (!force && tokens.expiresAt - Date.now() > 60_000) return tokens.access
  refreshing ??= cognito('InitiateAuth', {
    AuthFlow: 'REFRESH_TOKEN_AUTH',
    AuthParameters: { REFRESH_TOKEN: tokens.refresh },
  })
    .then((result) => {
      remember(result, tokens.username, tokens.refresh)
      return session.tokens.access
    })
    .catch(() => {
      saveTokens(null)
      return null
    })
    .finally(() => {
      refreshing = null
    })
  return refreshing
}

export function signOut() {
  const tokens = session.tokens
  saveTokens(null)
  session.me = null
  if (tokens) cognito('GlobalSignOut', { AccessToken: tokens.access }).catch(() => {})
}

/** Connect the API client to this session; a refused session goes back to sign-in. */
export function installStaffAuth(router) {
  import('../api.js').then(({ useStaffAuth }) =>
    useStaffAuth(accessToken, () => {
      saveTokens(null)
      const next = router.currentRoute.value.fullPath
      router.push({ name: 'signin', query: { next } })
    }),
  )
  router.beforeEach((to) => {
    if (to.meta.staff && !signedIn()) return { name: 'signin', query: { next: to.fullPath } }
    return true
  })
}

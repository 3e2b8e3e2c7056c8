// The one API client of the SPA. Every error of the API has the shape
// {"error": {"code", "message", "details": [{"field", "code", "message"}]}}.

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`)
    this.status = status
    this.code = error?.code || 'error'
    this.details = error?.details || []
  }

  /** Field name → first error code, for marking form fields. */
  get fields() {
    const fields = {}
    for (const detail of this.details) {
      const field = String(detail.field || '').split('/')[0]
      if (field && !fields[field]) fields[field] = detail.code
    }
    return fields
  }
}

/** The request never reached the server, or its answer never came back: safe to retry. */
export class NetworkError extends Error {}

export async function request(method, path, { body, headers = {}, fetcher = fetch } = {}) {
  let response
  try {
    response = await fetcher(`/api${path}`, {
      method,
      headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    })
  } catch (error) {
    throw new NetworkError(error?.message || 'network')
  }
  const text = await response.text().catch(() => '')
  let data = null
  let unreadable = false
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    unreadable = true
  }
  if (response.ok && unreadable) {
    // A success whose body is no JSON (a proxy's page, a broken number) is not a success.
    throw new ApiError(response.status, { code: 'invalid_response', message: `HTTP ${response.status}: not JSON` })
  }
  if (!response.ok) {
    // Gateways and proxies answer 502–504 without our error shape: the report may be retried.
    if (response.status >= 502 && response.status <= 504) throw new NetworkError(`HTTP ${response.status}`)
    throw new ApiError(response.status, data?.error)
  }
  return data
}

let registryPromise = null

export function getRegistry() {
  registryPromise ??= request('GET', '/registry').catch((error) => {
    registryPromise = null
    throw error
  })
  return registryPromise
}

export function createUpload(reportKey, contentType, size) {
  return request('POST', '/uploads', {
    body: { content_type: contentType, size },
    headers: { 'Idempotency-Key': reportKey },
  })
}

/** POST a photo to storage with the presigned form; reports progress (0..1). */
export function uploadPhoto(ticket, blob, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const form = new FormData()
    for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value)
    form.append('file', blob)
    const xhr = new XMLHttpRequest()
    xhr.open('POST', ticket.url)
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total)
    }
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1)
        resolve(ticket.key)
      } else if (xhr.status >= 500) {
        reject(new NetworkError(`storage ${xhr.status}`))
      } else {
        reject(new ApiError(xhr.status, { code: 'upload_refused', message: 'Upload refused' }))
      }
    }
    xhr.onerror = () => reject(new NetworkError('upload'))
    xhr.send(form)
  })
}

export function createCase(reportKey, body) {
  return request('POST', '/cases', { body, headers: { 'Idempotency-Key': reportKey } })
}

/** What opens a case for its resident: its token (or SMS link key), or a phone session. */
function caseHeaders({ token, session } = {}) {
  const headers = {}
  if (token) headers['X-Case-Token'] = token
  if (session) headers.Authorization = `Bearer ${session}`
  return headers
}

export function getCase(code, access) {
  return request('GET', `/cases/${encodeURIComponent(code)}`, { headers: caseHeaders(access) })
}

// -- what is already reported (public, no personal data) ---------------------------------

export const nearbyApi = {
  /** The compound's open cases of this kind, or alike in words, near a location. */
  openCases: (compound, { kind, text, location } = {}) => {
    const query = new URLSearchParams()
    if (kind) query.set('kind', kind)
    if (text?.trim()) query.set('text', text.trim().slice(0, 2000))
    if (location) {
      query.set('lat', String(location.lat))
      query.set('lon', String(location.lng))
    }
    return request('GET', `/compounds/${encodeURIComponent(compound)}/open-cases?${query}`)
  },
  nearestCompound: ({ lat, lng }) => request('GET', `/compounds/nearest?lat=${lat}&lon=${lng}`),
  compoundPage: (compound) => request('GET', `/public/compounds/${encodeURIComponent(compound)}`),
}

// -- residents signed in by phone ------------------------------------------------------------

export const residentApi = {
  requestCode: (phone) => request('POST', '/resident/code', { body: { phone } }),
  signIn: (phone, code) => request('POST', '/resident/session', { body: { phone, code } }),
  cases: (session) => request('GET', '/resident/cases', { headers: caseHeaders({ session }) }),
  setUpdates: (code, access, updates) =>
    request('PUT', `/cases/${encodeURIComponent(code)}/preferences`, {
      body: { updates },
      headers: caseHeaders(access),
    }),
  // The reporter's actions on their own case (each answers with the case as they see it).
  addInformation: (code, access, body, photoKey) =>
    request('POST', `/cases/${encodeURIComponent(code)}/information`, {
      body,
      headers: { ...caseHeaders(access), ...(photoKey ? { 'Idempotency-Key': photoKey } : {}) },
    }),
  withdraw: (code, access, reason) =>
    request('POST', `/cases/${encodeURIComponent(code)}/withdrawal`, {
      body: reason ? { reason } : {},
      headers: caseHeaders(access),
    }),
  urge: (code, access) =>
    request('POST', `/cases/${encodeURIComponent(code)}/urge`, { body: {}, headers: caseHeaders(access) }),
  /** 我也遇到 (me too): follow an open case with the signed-in number; a line and one photo
   * (uploaded with createUpload(photoKey, …)) for staff only. 201 joined, 200 already following. */
  follow: (code, session, { note, photos } = {}, photoKey) =>
    request('POST', `/cases/${encodeURIComponent(code)}/followers`, {
      body: { ...(note ? { note } : {}), ...(photos?.length ? { photos } : {}) },
      headers: { ...caseHeaders({ session }), ...(photoKey ? { 'Idempotency-Key': photoKey } : {}) },
    }),
}

// -- staff -------------------------------------------------------------------------------

let tokenSource = async () => null
let onSignedOut = () => {}

/** The staff side registers how to get a token and what to do when it is refused. */
export function useStaffAuth(getToken, signedOut) {
  tokenSource = getToken
  onSignedOut = signedOut
}

export async function staffRequest(method, path, { body, headers = {} } = {}) {
  const attempt = async (force) => {
    const token = await tokenSource({ force })
    if (!token) throw new ApiError(401, { code: 'unauthorized', message: 'Sign in' })
    return request(method, path, { body, headers: { ...headers, Authorization: `Bearer ${token}` } })
  }
  try {
    return await attempt(false)
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error
    try {
      return await attempt(true) // the token may have just expired: refresh once
    } catch (again) {
      if (again instanceof ApiError && again.status === 401) onSignedOut()
      throw again
    }
  }
}

// "Who am I" asked by several parts of a page as it starts (the staff frame and the page) is
// one request: a caller that asks while it is on its way shares its answer.
let askingWhoAmI = null

export const staffApi = {
  me: () =>
    (askingWhoAmI ??= staffRequest('GET', '/staff/me').finally(() => {
      askingWhoAmI = null
    })),
  /** A page of a work list: `params` are its target, cursor, search, filters and sort. */
  cases: (view, params = {}) => {
    const query = new URLSearchParams({ view })
    for (const [name, value] of Object.entries(params)) if (value) query.set(name, value)
    return staffRequest('GET', `/staff/cases?${query}`)
  },
  case: (code) => staffRequest('GET', `/staff/cases/${encodeURIComponent(code)}`),
  act: (code, action, body, key) =>
    staffRequest('POST', `/staff/cases/${encodeURIComponent(code)}/actions/${action}`, {
      body,
      headers: key ? { 'Idempotency-Key': key } : {},
    }),
  revealPhone: (code) => staffRequest('POST', `/staff/cases/${encodeURIComponent(code)}/phone`),
  addNote: (code, note) =>
    staffRequest('POST', `/staff/cases/${encodeURIComponent(code)}/notes`, { body: { note } }),
  replies: (scope) => staffRequest('GET', `/staff/replies${scope ? `?scope=${encodeURIComponent(scope)}` : ''}`),
  addReply: (body) => staffRequest('POST', '/staff/replies', { body }),
  editReply: (scope, id, body) =>
    staffRequest('PUT', `/staff/replies/${encodeURIComponent(scope)}/${encodeURIComponent(id)}`, { body }),
  deleteReply: (scope, id) =>
    staffRequest('DELETE', `/staff/replies/${encodeURIComponent(scope)}/${encodeURIComponent(id)}`),
  report: (key, body) => staffRequest('POST', '/staff/reports', { body, headers: { 'Idempotency-Key': key } }),
  accounts: () => staffRequest('GET', '/staff/accounts'),
  invite: (body) => staffRequest('POST', '/staff/accounts', { body }),
  setScopes: (username, scopes) =>
    staffRequest('PUT', `/staff/accounts/${encodeURIComponent(username)}/scopes`, { body: { scopes } }),
  setEnabled: (username, enabled) =>
    staffRequest('PUT', `/staff/accounts/${encodeURIComponent(username)}/enabled`, { body: { enabled } }),
  resetPassword: (username) =>
    staffRequest('POST', `/staff/accounts/${encodeURIComponent(username)}/password-reset`),
  linkWorkChat: (username, provider, userId) =>
    staffRequest('PUT', `/staff/accounts/${encodeURIComponent(username)}/work-chat/${provider}`, {
      body: { user_id: userId },
    }),
  unlinkWorkChat: (username, provider) =>
    staffRequest('DELETE', `/staff/accounts/${encodeURIComponent(username)}/work-chat/${provider}`),
  totpEnrol: () => staffRequest('POST', '/auth/totp'),
  totpConfirm: (code) => staffRequest('POST', '/auth/totp/confirm', { body: { code } }),
  totpDisable: (code) => staffRequest('POST', '/auth/totp/disable', { body: { code } }),
  undelivered: () => staffRequest('GET', '/staff/notifications'),
  resend: (id) => staffRequest('POST', `/staff/notifications/${encodeURIComponent(id)}/resend`),
  hotspots: () => staffRequest('GET', '/metrics/hotspots'),
  projects: () => staffRequest('GET', '/staff/projects'),
  project: (id) => staffRequest('GET', `/staff/projects/${encodeURIComponent(id)}`),
  createProject: (body) => staffRequest('POST', '/staff/projects', { body }),
  changeProject: (id, body) => staffRequest('PATCH', `/staff/projects/${encodeURIComponent(id)}`, { body }),
  noteProject: (id, text) => staffRequest('POST', `/staff/projects/${encodeURIComponent(id)}/notes`, { body: { text } }),
  scorecards: (period) => staffRequest('GET', `/metrics/scorecards?period=${encodeURIComponent(period)}`),
  scorecard: (company, period) =>
    staffRequest('GET', `/metrics/scorecards/${encodeURIComponent(company)}?period=${encodeURIComponent(period)}`),
  publishScorecards: (value) => staffRequest('PUT', '/metrics/scorecards-publication', { body: { public: value } }),
  calendar: () => staffRequest('GET', '/staff/calendar'),
  putCalendar: (year, body) => staffRequest('PUT', `/staff/calendar/${year}`, { body }),
  // 专项行动 (seasonal campaigns)
  campaigns: () => staffRequest('GET', '/staff/campaigns'),
  campaign: (id) => staffRequest('GET', `/staff/campaigns/${encodeURIComponent(id)}`),
  createCampaign: (body) => staffRequest('POST', '/staff/campaigns', { body }),
  changeCampaign: (id, body) => staffRequest('PATCH', `/staff/campaigns/${encodeURIComponent(id)}`, { body }),
  addCampaignCase: (id, code, reason) =>
    staffRequest('POST', `/staff/campaigns/${encodeURIComponent(id)}/cases`, { body: { code, reason } }),
  removeCampaignCase: (id, code, reason) =>
    staffRequest('POST', `/staff/campaigns/${encodeURIComponent(id)}/cases/${encodeURIComponent(code)}/remove`, {
      body: { reason },
    }),
  /** `body` is {rows: […]} or {csv: "…"}; the same key and body never create twice. */
  campaignBatch: (id, key, body) =>
    staffRequest('POST', `/staff/campaigns/${encodeURIComponent(id)}/batch`, {
      body,
      headers: { 'Idempotency-Key': key },
    }),
}

// -- department action links (no sign-in) ---------------------------------------------------

export const linkApi = {
  case: (code, pass) =>
    request('GET', `/act/cases/${encodeURIComponent(code)}`, { headers: { 'X-Action-Pass': pass } }),
  act: (code, pass, action, body, key) =>
    request('POST', `/act/cases/${encodeURIComponent(code)}/actions/${action}`, {
      body,
      headers: { 'X-Action-Pass': pass, ...(key ? { 'Idempotency-Key': key } : {}) },
    }),
}

export function rateCase(code, access, body) {
  return request('POST', `/cases/${encodeURIComponent(code)}/rating`, {
    body,
    headers: caseHeaders(access),
  })
}

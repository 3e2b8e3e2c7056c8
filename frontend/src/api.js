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
  let data = null
  try {
    data = await response.json()
  } catch {
    data = null
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

export function getCase(code, token) {
  return request('GET', `/cases/${encodeURIComponent(code)}`, { headers: { 'X-Case-Token': token } })
}

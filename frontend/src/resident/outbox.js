// Reports waiting to be sent. A report is saved on the phone before the first attempt and
// keeps its idempotency key across attempts, so a retry can never file a second case.
import { reactive } from 'vue'
import { ApiError, NetworkError, createCase, createUpload, uploadPhoto } from '../api.js'

/** IndexedDB store of pending reports (photos are Blobs, too big for localStorage). */
export function indexedDbStore(name = 'whistle', store = 'outbox') {
  const open = () =>
    new Promise((resolve, reject) => {
      const request = indexedDB.open(name, 1)
      request.onupgradeneeded = () => request.result.createObjectStore(store, { keyPath: 'key' })
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error)
    })
  const run = async (mode, action) => {
    const db = await open()
    return new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode)
      const request = action(tx.objectStore(store))
      tx.oncomplete = () => resolve(request?.result)
      tx.onerror = () => reject(tx.error)
    })
  }
  return {
    put: (item) => run('readwrite', (s) => s.put(item)),
    delete: (key) => run('readwrite', (s) => s.delete(key)),
    all: () => run('readonly', (s) => s.getAll()),
  }
}

export function memoryStore() {
  const items = new Map()
  return {
    put: async (item) => void items.set(item.key, structuredClone(item)),
    delete: async (key) => void items.delete(key),
    all: async () => [...items.values()].map((item) => structuredClone(item)),
  }
}

export function newReportKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

const defaultApi = { createCase, createUpload, uploadPhoto }

/**
 * The outbox. `send` uploads what is not uploaded yet, then files the case.
 * Outcomes: {status: 'sent', receipt} | {status: 'queued'} (no network; kept) |
 * {status: 'failed', error} (the server refused it; kept so the resident can see why).
 */
export function createOutbox({ store, reports, api = defaultApi }) {
  const state = reactive({ items: [] })
  const sending = new Set()

  async function refresh() {
    state.items = (await store.all()).sort((a, b) => b.created_at.localeCompare(a.created_at))
  }

  async function update(item, changes) {
    Object.assign(item, changes)
    await store.put(item)
    await refresh()
  }

  async function send(item, onProgress = () => {}) {
    if (sending.has(item.key)) return { status: 'queued' }
    sending.add(item.key)
    try {
      await update(item, { state: 'sending', error: null })
      const total = item.photos.length
      for (let index = 0; index < total; index += 1) {
        const photo = item.photos[index]
        if (photo.uploaded) continue
        const ticket = await api.createUpload(item.key, photo.blob.type || 'image/jpeg', photo.blob.size)
        await api.uploadPhoto(ticket, photo.blob, (fraction) =>
          onProgress({ done: index, total, fraction: (index + fraction) / Math.max(total, 1) }),
        )
        photo.uploaded = ticket.key
        await update(item, {})
        onProgress({ done: index + 1, total, fraction: (index + 1) / Math.max(total, 1) })
      }
      const body = { ...item.body, photos: item.photos.map((p) => p.uploaded) }
      if (!body.photos.length) delete body.photos
      const receipt = await api.createCase(item.key, body)
      reports.remember({
        code: receipt.code,
        token: receipt.token,
        status: receipt.status,
        category: item.body.category,
        created_at: receipt.created_at,
      })
      await store.delete(item.key)
      await refresh()
      return { status: 'sent', receipt }
    } catch (error) {
      if (error instanceof NetworkError) {
        await update(item, { state: 'queued', attempts: (item.attempts || 0) + 1 })
        return { status: 'queued' }
      }
      const message = error instanceof ApiError ? error.message : String(error)
      await update(item, {
        state: 'failed',
        error: { message, code: error.code || 'error', fields: error.fields || {} },
      })
      return { status: 'failed', error }
    } finally {
      sending.delete(item.key)
    }
  }

  return {
    state,
    refresh,
    /** Save a report on the phone, then try to send it. */
    async submit(key, body, blobs, onProgress) {
      const item = {
        key,
        body,
        photos: blobs.map((blob) => ({ blob, uploaded: null })),
        created_at: new Date().toISOString(),
        state: 'queued',
        attempts: 0,
      }
      await store.put(item)
      return send(item, onProgress)
    },
    /** Try every queued report again (on start, when the network returns, on demand). */
    async flush() {
      const results = []
      for (const item of await store.all()) {
        if (item.state !== 'failed') results.push(await send(item))
      }
      return results
    },
    async retry(key) {
      const item = (await store.all()).find((candidate) => candidate.key === key)
      return item ? send(item) : { status: 'failed' }
    },
    async discard(key) {
      await store.delete(key)
      await refresh()
    },
  }
}

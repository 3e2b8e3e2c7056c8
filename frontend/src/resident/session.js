// The resident side's shared state: the outbox of pending reports and "my reports".
import { createOutbox, indexedDbStore, memoryStore } from './outbox.js'
import { reports } from './reports.js'

const store = typeof indexedDB === 'undefined' ? memoryStore() : indexedDbStore()
export const outbox = createOutbox({ store, reports })
export { reports }

let retryTimer = null

/** Send what is waiting now, when the network comes back, and every minute meanwhile. */
export function keepSending() {
  const flush = () => outbox.flush().catch(() => {})
  outbox.refresh().then(flush)
  window.addEventListener('online', flush)
  retryTimer ??= window.setInterval(() => {
    if (navigator.onLine !== false) flush()
  }, 60_000)
}

// The signed-in clerk's common replies (常用语), read once per page load and refreshed after
// the replies page changes them.
import { staffApi } from '../api.js'

let cached = null

export function loadReplies() {
  cached ??= staffApi.replies().then(
    (found) => found.items,
    (error) => {
      cached = null
      throw error
    },
  )
  return cached
}

export function forgetReplies() {
  cached = null
}

// What each staff action cannot go without: nothing for a claim or a chase, a reason to reject,
// return or ask for more time, a note to resolve, a case to merge into, a summary to publish.
const REQUIRED = {
  reject: 'reason',
  return: 'reason',
  extension: 'reason',
  resolve: 'note',
  merge: 'into',
  publish: 'summary',
}

/** True when the action's form holds what the action needs (its confirm button waits for it). */
export function hasWhatItNeeds(action, form) {
  const field = REQUIRED[action]
  return !field || String(form[field] ?? '').trim().length > 0
}

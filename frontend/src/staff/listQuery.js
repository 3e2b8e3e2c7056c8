// A work list's state lives in the page address (search, filters, sort, page), so the back
// button, a reload or a shared link returns to the same filtered page.

/** The list parameters the API takes, besides `view`; each is one value in the address. */
export const FILTERS = ['q', 'stage', 'kind', 'community', 'department', 'overdue', 'waiting', 'sort']

/** What the address holds for a list: its filters, the scope and the page's cursor. */
export function fromRoute(query) {
  const state = {}
  for (const name of [...FILTERS, 'target', 'cursor', 'page']) {
    const value = Array.isArray(query[name]) ? query[name][0] : query[name]
    if (value !== undefined && value !== null && value !== '') state[name] = String(value)
  }
  return state
}

/** The API's parameters for a page of the list (what the address holds, minus the page number). */
export function apiParams(state) {
  const params = {}
  for (const name of [...FILTERS, 'target', 'cursor']) if (state[name]) params[name] = state[name]
  return params
}

/** The address after one filter changed: back to the first page. */
export function withFilter(query, name, value) {
  const next = { ...query, [name]: value || undefined }
  delete next.cursor
  delete next.page
  return next
}

/** True when any filter narrows the list (so an empty list says what to change). */
export function isFiltered(state) {
  return FILTERS.some((name) => name !== 'sort' && state[name])
}

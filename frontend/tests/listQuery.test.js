import { describe, expect, it } from 'vitest'
import { apiParams, fromRoute, isFiltered, withFilter } from '../src/staff/listQuery.js'

describe('a work list kept in the page address', () => {
  it('reads the filters, scope and page from the address and sends all but the page number', () => {
    const state = fromRoute({ tab: 'community', q: '幸福路', stage: ['claimed', 'x'], kind: '', cursor: 'abc.def', page: '2' })
    expect(state).toEqual({ q: '幸福路', stage: 'claimed', cursor: 'abc.def', page: '2' })
    expect(apiParams(state)).toEqual({ q: '幸福路', stage: 'claimed', cursor: 'abc.def' })
  })

  it('goes back to the first page when a filter changes, and drops an emptied filter', () => {
    const query = { tab: 'work', kind: 'sewage', cursor: 'abc.def', page: '3' }
    expect(withFilter(query, 'overdue', 'true')).toEqual({ tab: 'work', kind: 'sewage', overdue: 'true' })
    expect(withFilter(query, 'kind', '')).toEqual({ tab: 'work', kind: undefined })
  })

  it('tells a filtered list from an unfiltered one (the sort narrows nothing)', () => {
    expect(isFiltered({ sort: 'due' })).toBe(false)
    expect(isFiltered({ waiting: '2' })).toBe(true)
  })
})

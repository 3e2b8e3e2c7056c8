import { describe, expect, it } from 'vitest'
import { hasWhatItNeeds } from '../src/staff/actionNeeds.js'

describe('an action asks only for what it needs', () => {
  it('needs nothing to claim or chase, a reason to return, a note to resolve, a case to merge into', () => {
    expect(hasWhatItNeeds('claim', {})).toBe(true)
    expect(hasWhatItNeeds('chase', { note: '' })).toBe(true)
    expect(hasWhatItNeeds('return', { reason: '  ' })).toBe(false)
    expect(hasWhatItNeeds('return', { reason: '不归本部门' })).toBe(true)
    expect(hasWhatItNeeds('resolve', { note: '', photos: [1] })).toBe(false)
    expect(hasWhatItNeeds('merge', { into: 'YS-2611-27-0042' })).toBe(true)
  })
})

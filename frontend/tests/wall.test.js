import { describe, expect, it, vi } from 'vitest'
import { DEFAULT_REFRESH_SECONDS, refreshSeconds } from '../src/district/wall.js'

vi.mock('vant', () => ({ showToast: () => {} }))
vi.mock('vant/es/toast/style/index', () => ({}))
const { currentMonth } = await import('../src/district/dashboard/useDashboard.js')

describe('the wall screen', () => {
  it('refreshes every five minutes unless its address asks otherwise, within bounds', () => {
    expect(refreshSeconds(undefined)).toBe(DEFAULT_REFRESH_SECONDS)
    expect(refreshSeconds('abc')).toBe(300)
    expect(refreshSeconds('60')).toBe(60)
    expect(refreshSeconds(['30', '90'])).toBe(30)
    expect(refreshSeconds('0')).toBe(2)
    expect(refreshSeconds('86400')).toBe(3600)
  })

  it('shows the month of the day that just ended', () => {
    // 1 December, 09:00 in China: the day that ended is 30 November.
    expect(currentMonth(Date.parse('2026-12-01T01:00:00Z'))).toBe('2026-11')
    expect(currentMonth(Date.parse('2026-12-02T04:00:00Z'))).toBe('2026-12')
  })
})

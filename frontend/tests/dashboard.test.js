import { describe, expect, it } from 'vitest'
import { pieSlices } from '../src/district/dashboard/chartOptions.js'
import { change, pct, rankingRows } from '../src/district/dashboard/figures.js'

describe('the dashboard figures', () => {
  it('write a rate as a percentage and a missing figure as a dash', () => {
    expect(pct(0.9215)).toBe('92.2%')
    expect(pct(null)).toBe('—')
  })

  it('give a rate’s change in percentage points and a count’s as a number', () => {
    expect(change(0.85, 0.8, 'rate')).toMatchObject({ text: '+5.0', up: true, flat: false })
    expect(change(3, 5)).toMatchObject({ text: '-2', up: false, flat: false })
    expect(change(0.5, 0.5, 'rate').flat).toBe(true)
    expect(change(0.5, null, 'rate')).toBeNull()
  })

  it('rank with rates in percent and no rate where nothing counted', () => {
    const ranked = { counts: { received: 4, dispatched: 0, resolved: 3 }, backlog: { open: 1 } }
    const dashboard = { rankings: { community: [{ name: '桃园社区', on_time_rate: 0.755, satisfaction_rate: null, ...ranked }] } }
    expect(rankingRows(dashboard, 'community')).toEqual([
      { name: '桃园社区', received: 4, dispatched: 0, resolved: 3, on_time: 75.5, satisfaction: null, open: 1 },
    ])
    expect(rankingRows(null, 'department')).toEqual([])
  })

  it('draw the seven biggest kinds of problem and the rest as one slice', () => {
    const kinds = Array.from({ length: 10 }, (_, i) => ({ name: `k${i}`, received: i }))
    const slices = pieSlices(kinds)
    expect(slices.map((s) => s.value)).toEqual([9, 8, 7, 6, 5, 4, 3, 1 + 2])
    expect(pieSlices(kinds.slice(0, 3)).map((s) => s.name)).toEqual(['k2', 'k1'])
  })
})

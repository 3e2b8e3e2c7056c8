import { describe, expect, it } from 'vitest'
import { categoriesOption, pieSlices, rankingBarsOption, trendOption } from '../src/district/dashboard/chartOptions.js'
import { change, pct, rankingRows, yearOnYear } from '../src/district/dashboard/figures.js'

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

describe('a year-on-year figure', () => {
  it('says there is no baseline when last year has no figure, instead of an arrow up from nothing', () => {
    expect(yearOnYear(3.2, null, 'down')).toEqual({ baseline: false })
    expect(yearOnYear(0.9, undefined, 'up')).toEqual({ baseline: false })
    expect(yearOnYear(null, 0.8, 'up')).toBeNull()
  })

  it('compares with last year where it has a figure, better in the good direction', () => {
    expect(yearOnYear(0.9, 0.8, 'up')).toMatchObject({ baseline: true, up: true, better: true, worse: false })
    expect(yearOnYear(3.2, 2.5, 'down')).toMatchObject({ baseline: true, up: true, better: false, worse: true })
    expect(yearOnYear(0, 0, 'down')).toMatchObject({ baseline: true, flat: true, better: false, worse: false })
  })
})

describe('the dashboard charts', () => {
  const series = [1, 5, 0, 7].map((n, i) => ({ period: `2026-11-0${i + 1}`, counts: { received: n, resolved: i } }))
  const departments = [
    { name: 'District Housing and Urban-Rural Development Bureau', dispatched: 4 },
    { name: 'Property Dispute Mediation Team (Bangbang Tuan)', dispatched: 2 },
  ]
  const charts = [
    trendOption(series, 18),
    rankingBarsOption(departments, 'department', 18, { width: 440 }),
    categoriesOption([{ name: 'Property dispute (mediation)', received: 3 }], { wall: true, font: 18, width: 440, height: 400 }),
    categoriesOption([{ name: 'Property dispute (mediation)', received: 3 }], { font: 12, width: 320 }),
  ]

  it('draw the daily counts as they are: no line is smoothed', () => {
    const lines = charts.flatMap((o) => o.series).filter((s) => s.type === 'line')
    expect(lines.length).toBe(2)
    for (const line of lines) expect(line.smooth ?? false).toBe(false)
    expect(lines[0].data).toEqual([1, 5, 0, 7])
  })

  it('never cut a name short: long ones wrap, and grids make room for their labels', () => {
    const texts = charts.flatMap((o) => [o.xAxis?.axisLabel, o.yAxis?.axisLabel, o.legend?.textStyle]).filter(Boolean)
    for (const text of texts) expect(text.overflow ?? 'none').not.toBe('truncate')
    const names = rankingBarsOption(departments, 'department', 18, { width: 440 }).yAxis
    expect(names.data).toContain('District Housing and Urban-Rural Development Bureau')
    expect(names.axisLabel).toMatchObject({ overflow: 'break', width: 176 })
    for (const o of charts.filter((c) => c.grid)) expect(o.grid).toMatchObject({ outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' })
  })
})

// What each dashboard chart draws, as ECharts options. `font` is the axis text size (larger on
// the wall screen); colours, font family and no animation are added by useCharts.js.
import { t } from '../../i18n.js'
import { measureOf } from './figures.js'

/** Received and resolved per day (of a month) or per month (of a year). */
export function trendOption(series, font) {
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, right: 8, data: [t('dashboard.received'), t('dashboard.resolved')] },
    grid: { left: 40, right: 16, top: 40, bottom: 28 },
    xAxis: { type: 'category', data: series.map((p) => p.period.slice(5)), axisLabel: { fontSize: font } },
    yAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: font } },
    series: [
      { name: t('dashboard.received'), type: 'line', smooth: true, smoothMonotone: 'x', data: series.map((p) => p.counts.received) },
      { name: t('dashboard.resolved'), type: 'line', smooth: true, smoothMonotone: 'x', data: series.map((p) => p.counts.resolved) },
    ],
  }
}

/** The twelve biggest of a ranking as horizontal bars, the biggest on top. */
export function rankingBarsOption(rows, dimension, font) {
  const measure = measureOf(dimension)
  const top = rows.filter((r) => r[measure]).slice(0, 12).reverse()
  return {
    tooltip: { trigger: 'axis' },
    grid: { left: 110, right: 24, top: 12, bottom: 24 },
    xAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: font } },
    yAxis: { type: 'category', data: top.map((r) => r.name), axisLabel: { width: 100, overflow: 'truncate', fontSize: font } },
    series: [{ type: 'bar', name: t(`dashboard.${measure}`), data: top.map((r) => r[measure]) }],
  }
}

/** Kinds of problem as a ring; its labels are sized for the wall screen apart. */
export function categoriesOption(rows, wall) {
  return {
    tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
    legend: { bottom: 0, left: 'center', itemWidth: 12, itemHeight: 12, textStyle: { fontSize: wall ? 15 : 12 } },
    series: [
      {
        type: 'pie',
        radius: ['32%', '58%'],
        center: ['50%', '38%'],
        label: { formatter: '{d}%', fontSize: wall ? 14 : 11, overflow: 'none' },
        data: pieSlices(rows),
      },
    ],
  }
}

/** The seven biggest kinds of problem and the rest as one slice: a pie of fifteen slivers
 * has labels nobody can read. */
export function pieSlices(categories) {
  const reported = categories.filter((r) => r.received).sort((a, b) => b.received - a.received)
  const slices = reported.slice(0, 7).map((r) => ({ name: r.name, value: r.received }))
  const rest = reported.slice(7).reduce((sum, r) => sum + r.received, 0)
  return rest ? [...slices, { name: t('dashboard.others'), value: rest, itemStyle: { color: '#9ca3af' } }] : slices
}

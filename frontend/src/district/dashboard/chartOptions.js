// What each dashboard chart draws, as ECharts options. `font` is the axis text size (larger on
// the wall screen), `width` the chart's width in pixels; colours, font family and no animation
// are added by useCharts.js. Labels are never cut short: long names wrap, and each grid grows
// its margins to hold its axis labels (outerBounds). Daily counts are drawn as they are: no
// smoothed lines (a smoothed curve dips and peaks where no day did).
import { t } from '../../i18n.js'
import { measureOf } from './figures.js'

// The grid's margins hold its axis labels, however long: ECharts shrinks the plot instead.
const HOLD_LABELS = { outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' }

/** Received and resolved per day (of a month) or per month (of a year). */
export function trendOption(series, font) {
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, right: 8, data: [t('dashboard.received'), t('dashboard.resolved')], textStyle: { fontSize: font } },
    grid: { left: 8, right: 16, top: font * 2 + 12, bottom: 4, ...HOLD_LABELS },
    xAxis: { type: 'category', data: series.map((p) => p.period.slice(5)), axisLabel: { fontSize: font, hideOverlap: true } },
    yAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: font } },
    series: [
      { name: t('dashboard.received'), type: 'line', data: series.map((p) => p.counts.received) },
      { name: t('dashboard.resolved'), type: 'line', data: series.map((p) => p.counts.resolved) },
    ],
  }
}

/** The biggest of a ranking (`limit` of them) as horizontal bars, the biggest on top; names
 * wrap within 40 % of the chart's `width` rather than being cut. */
export function rankingBarsOption(rows, dimension, font, { width = 320, limit = 12 } = {}) {
  const measure = measureOf(dimension)
  const top = rows.filter((r) => r[measure]).slice(0, limit).reverse()
  return {
    tooltip: { trigger: 'axis' },
    grid: { left: 8, right: 24, top: 8, bottom: 4, ...HOLD_LABELS },
    xAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: font } },
    yAxis: {
      type: 'category',
      data: top.map((r) => r.name),
      axisLabel: { width: Math.max(80, Math.round(width * 0.4)), overflow: 'break', fontSize: font, lineHeight: Math.round(font * 1.15) },
    },
    series: [{ type: 'bar', name: t(`dashboard.${measure}`), data: top.map((r) => r[measure]) }],
  }
}

/** Kinds of problem as a ring, its legend below; on the wall screen the legend stands beside
 * the ring and carries each kind's share (labels around a ring would crowd its edge). Legend
 * names wrap within the chart's `width`. */
export function categoriesOption(rows, { wall = false, font = 12, width = 320, height = 260 } = {}) {
  const slices = pieSlices(rows)
  if (!wall) {
    return {
      tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
      legend: { bottom: 0, left: 'center', itemWidth: 12, itemHeight: 12, textStyle: { fontSize: font, overflow: 'break', width: width - 48 } },
      series: [
        {
          type: 'pie',
          radius: ['32%', '58%'],
          center: ['50%', '38%'],
          // Whole percentages, set against the chart's edges: a label never runs off the canvas.
          label: { formatter: (slice) => `${Math.round(slice.percent)}%`, fontSize: font, alignTo: 'edge', edgeDistance: 4 },
          labelLine: { length: 8, length2: 6 },
          data: slices,
        },
      ],
    }
  }
  const total = slices.reduce((sum, slice) => sum + slice.value, 0)
  const share = Object.fromEntries(slices.map((slice) => [slice.name, total ? Math.round((slice.value * 100) / total) : 0]))
  const outer = Math.max(40, Math.min(width * 0.24, height * 0.45))
  return {
    tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
    legend: {
      orient: 'vertical',
      left: Math.round(width * 0.5),
      top: 'middle',
      itemWidth: 14,
      itemHeight: 14,
      itemGap: 8,
      formatter: (name) => `${name}  ${share[name]}%`,
      textStyle: { fontSize: font - 2, overflow: 'break', width: Math.round(width * 0.5) - 24 },
    },
    series: [{ type: 'pie', radius: [outer * 0.55, outer], center: [Math.round(width * 0.25), '50%'], label: { show: false }, data: slices }],
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

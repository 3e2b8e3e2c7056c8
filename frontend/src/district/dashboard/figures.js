// How the dashboard writes its figures: rates as percentages, medians of durations as "up to"
// a number of hours, changes against the previous period, rows of the rankings and overdue list.
import { i18n, t } from '../../i18n.js'

export const pct = (value) => (value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`)
export const num = (value) => (value === null || value === undefined ? '—' : String(value))
export const median = (figures, step) => figures.durations?.[step]?.p50_hours ?? null
// Durations are kept in bins: a median is "up to" its bin's upper edge, or "240 h or more".
export const hours = (value) =>
  value === null || value === undefined ? '—' : t(value >= 240 ? 'dashboard.hoursAtLeast' : 'dashboard.hoursUpTo', { n: value })

/** The change from `previous` to `current`; a rate's in percentage points. */
export function change(current, previous, kind) {
  if (current === null || current === undefined || previous === null || previous === undefined) return null
  const delta = current - previous
  const flat = Math.abs(delta) < 1e-9
  if (kind === 'rate') return { text: `${delta >= 0 ? '+' : ''}${(delta * 100).toFixed(1)}`, up: delta >= 0, flat }
  return { text: `${delta >= 0 ? '+' : ''}${Number(delta.toFixed(2))}`, up: delta >= 0, flat }
}

/** This year's figure against last year's (同比). Null when there is no figure this year;
 * `{baseline: false}` when last year has none to compare with — said in words ("无同期数据"),
 * never an arrow up from nothing; otherwise whether it rose, and whether that is `good`
 * ('up' or 'down': the direction that is better). */
export function yearOnYear(now, before, good) {
  if (now === null || now === undefined) return null
  if (before === null || before === undefined) return { baseline: false }
  const flat = Math.abs(now - before) < 1e-9
  const up = now > before
  return { baseline: true, flat, up, better: !flat && (good === 'up') === up, worse: !flat && (good === 'up') !== up }
}

// Communities and kinds of problem rank by what residents reported; departments by what was
// whistled to them (they receive nothing from residents directly).
export const measureOf = (dimension) => (dimension === 'department' ? 'dispatched' : 'received')

export const rankingColumns = (dimension) => [
  { key: 'name', label: t('dashboard.name') },
  { key: measureOf(dimension), label: t(`dashboard.${measureOf(dimension)}`) },
  { key: 'resolved', label: t('dashboard.resolved') },
  { key: 'on_time', label: t('dashboard.onTime') },
  { key: 'satisfaction', label: t('dashboard.satisfaction') },
  { key: 'open', label: t('dashboard.open') },
]

/** The dashboard's ranking of `dimension` as table rows, rates in percent. */
export function rankingRows(dashboard, dimension) {
  return (dashboard?.rankings?.[dimension] ?? []).map((r) => ({
    name: i18n.locale === 'en' && r.name_en ? r.name_en : r.name,
    received: r.counts.received,
    dispatched: r.counts.dispatched,
    resolved: r.counts.resolved,
    on_time: r.on_time_rate === null ? null : Number((r.on_time_rate * 100).toFixed(1)),
    satisfaction: r.satisfaction_rate === null ? null : Number((r.satisfaction_rate * 100).toFixed(1)),
    open: r.backlog.open,
  }))
}

export const stageName = (stage) => (stage ? t(`dashboard.stages.${stage}`) : '—')
/** A row's `key` in English where the page is and the row has it. */
export const english = (row, key) => (i18n.locale === 'en' && row[`${key}_en`] ? row[`${key}_en`] : row[key])

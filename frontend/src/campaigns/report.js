// The figures of a campaign as the staff pages, the printable report and its Excel file show
// them: rates as percentages, "—" where there is nothing to count from.
import { localName, t } from '../i18n.js'

/** The figures of a progress Row, in the order the tables show them. */
export const ROW_FIELDS = [
  'collected',
  'whistled',
  'local',
  'claimed_on_time',
  'claimed_late',
  'response_rate',
  'resolved',
  'resolved_on_time',
  'on_time_rate',
  'rated',
  'satisfaction_rate',
  'open',
  'residents_waiting',
]
export const isRate = (field) => field.endsWith('_rate')
export const pct = (value) => (value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`)
export const figure = (row, field) => {
  const value = row?.[field]
  if (isRate(field)) return pct(value)
  return value === null || value === undefined ? '—' : String(value)
}
/** Solved against the target, 0..100 (a bar never runs past its end). */
export const share = (solved, target) => (target > 0 ? Math.min(100, Math.round((solved / target) * 100)) : 0)

// In the Excel file a rate is a number of per cent with one decimal (as the scorecards'), so
// that it sorts and sums; nothing is an empty cell.
const excelValue = (row, field) => {
  const value = row?.[field]
  if (value === null || value === undefined) return null
  return isRate(field) ? Number((value * 100).toFixed(1)) : value
}

/** The sheets of the end-of-campaign Excel file. */
export function reportSheets(campaign, progress) {
  const label = (field) => (isRate(field) ? `${t(`campaigns.row.${field}`)} (%)` : t(`campaigns.row.${field}`))
  const rowColumns = [{ key: 'name', label: t('campaigns.name') }, ...ROW_FIELDS.map((f) => ({ key: f, label: label(f) }))]
  const asRows = (list) =>
    (list ?? []).map((row) => ({ name: localName(row), ...Object.fromEntries(ROW_FIELDS.map((f) => [f, excelValue(row, f)])) }))
  const summary = [
    [t('campaigns.name'), campaign.name],
    [t('campaigns.period'), `${campaign.starts} – ${campaign.ends}`],
    [t('campaigns.communities'), (campaign.community_names ?? []).join('、')],
    [t('campaigns.kinds'), campaign.kinds?.length ? kindNames(campaign).join('、') : t('campaigns.allKinds')],
    [t('campaigns.target'), progress.target],
    [t('campaigns.solved'), progress.solved],
    ...ROW_FIELDS.map((f) => [label(f), excelValue(progress.totals, f)]),
    [t('campaigns.asOfLabel'), progress.as_of ?? t('campaigns.notCounted')],
  ].map(([what, value]) => ({ what, value }))
  return [
    { sheet: t('campaigns.sheets.summary'), rows: summary, columns: [{ key: 'what', label: t('campaigns.sheets.figure') }, { key: 'value', label: t('campaigns.sheets.value') }] },
    { sheet: t('campaigns.sheets.byCommunity'), rows: asRows(progress.by_community), columns: rowColumns },
    { sheet: t('campaigns.sheets.byDepartment'), rows: asRows(progress.by_department), columns: rowColumns },
    {
      sheet: t('campaigns.sheets.byKind'),
      rows: (progress.by_category ?? []).map((c) => ({ name: localName(c), collected: c.collected, solved: c.solved })),
      columns: [{ key: 'name', label: t('campaigns.kind') }, { key: 'collected', label: t('campaigns.row.collected') }, { key: 'solved', label: t('campaigns.solved') }],
    },
    {
      sheet: t('campaigns.sheets.byCompound'),
      rows: (progress.by_compound ?? []).map((c) => ({ name: c.name, collected: c.collected, solved: c.solved })),
      columns: [{ key: 'name', label: t('campaigns.compound') }, { key: 'collected', label: t('campaigns.row.collected') }, { key: 'solved', label: t('campaigns.solved') }],
    },
  ]
}

/** The campaign's focus kinds in the current language. */
export function kindNames(campaign) {
  return (campaign.kinds ?? []).map((id, index) => localName({ name: campaign.kind_names?.[index] ?? id, name_en: campaign.kind_names_en?.[index] }))
}

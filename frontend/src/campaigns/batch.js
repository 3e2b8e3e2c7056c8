// 居民议事会后批量录入: the rows a community clerk enters after a residents' meeting, typed in a
// form or read from a spreadsheet saved as CSV, and the API's answer mapped back onto them.
// Line numbers are the API's: a form row's 1-based number, or a CSV file's line (header = 1).

export const COLUMNS = ['category', 'compound', 'address', 'description', 'phone']
// The headers the API reads (functions/core/services/intake.py BATCH_COLUMNS).
const HEADER_NAMES = {
  类别: 'category',
  问题类别: 'category',
  小区: 'compound',
  地址: 'address',
  详细地址: 'address',
  问题描述: 'description',
  描述: 'description',
  电话: 'phone',
  联系电话: 'phone',
}

export const emptyRow = () => ({ category: '', compound: '', address: '', description: '', phone: '' })

/** Records of CSV text, each with its line number as the API counts it: the file line the
 * record ends on (a quoted field may span lines). */
export function parseCsv(text) {
  const source = text.replace(/^\ufeff/, '')
  const records = []
  let cells = []
  let cell = ''
  let quoted = false
  let line = 1
  const endRecord = () => {
    cells.push(cell)
    if (cells.some((c) => c.trim() !== '')) records.push({ line, cells })
    cells = []
    cell = ''
  }
  for (let i = 0; i < source.length; i += 1) {
    const ch = source[i]
    if (quoted) {
      if (ch === '"' && source[i + 1] === '"') {
        cell += '"'
        i += 1
      } else if (ch === '"') quoted = false
      else {
        if (ch === '\n') line += 1
        cell += ch
      }
    } else if (ch === '"' && cell === '') quoted = true
    else if (ch === ',') {
      cells.push(cell)
      cell = ''
    } else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && source[i + 1] === '\n') i += 1
      endRecord()
      line += 1
    } else cell += ch
  }
  if (cell !== '' || cells.length) endRecord()
  return records
}

/** What the API will read of a CSV file: its columns by name, its rows with their line. */
export function csvPreview(text) {
  const [header, ...body] = parseCsv(text)
  if (!header) return { columns: [], unknown: [], missing: [...COLUMNS.slice(0, 4)], rows: [] }
  const names = header.cells.map((c) => {
    const name = c.trim()
    return HEADER_NAMES[name] ?? name.toLowerCase()
  })
  const columns = names.filter((n) => COLUMNS.includes(n))
  const rows = body.map((record) => {
    const values = emptyRow()
    names.forEach((name, index) => {
      if (COLUMNS.includes(name)) values[name] = (record.cells[index] ?? '').trim()
    })
    return { line: record.line, values }
  })
  return {
    columns,
    unknown: names.filter((n) => n && !COLUMNS.includes(n)),
    missing: COLUMNS.slice(0, 4).filter((n) => !names.includes(n)),
    rows,
  }
}

/** A file's text: UTF-8 (with or without BOM) or, as Excel in Chinese saves it, GB18030. */
export function decodeCsv(buffer) {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer)
  } catch {
    return new TextDecoder('gb18030').decode(buffer)
  }
}

/** One problem of a row in words: the column and what is wrong with it, from the locale
 * where its code is known, the API's own message otherwise. */
export function problemText(problem, t) {
  const known = t(`campaigns.batch.problems.${problem.code}`)
  const what = known === `campaigns.batch.problems.${problem.code}` ? problem.message : known
  const column = COLUMNS.includes(problem.field) ? t(`campaigns.batch.columns.${problem.field}`) : ''
  return column ? t('campaigns.labelled', { label: column, value: what }) : what
}

/** An invalid_batch answer's details by line: {byLine: {3: [{field, code, message}]}, general: […]}. */
export function errorsByLine(details = []) {
  const byLine = {}
  const general = []
  for (const detail of details) {
    const match = /^line\s+(\d+)(?:\/(.*))?$/.exec(String(detail.field ?? ''))
    if (!match) {
      general.push(detail)
      continue
    }
    const line = Number(match[1])
    ;(byLine[line] ??= []).push({ line, field: match[2] || '', code: detail.code, message: detail.message })
  }
  return { byLine, general }
}

/** A file's errors by line, and apart those of no line shown in the preview (a header's). */
export function fileErrors(details, lines) {
  const { byLine, general } = errorsByLine(details)
  const shown = new Set(lines)
  const beyond = Object.entries(byLine)
    .filter(([line]) => !shown.has(Number(line)))
    .flatMap(([, list]) => list)
  return { byLine, general: [...general, ...beyond] }
}

/** The form's errors row by row (row i is line i + 1), and those of lines past its end. */
export function rowErrors(details, count) {
  const { byLine, general } = errorsByLine(details)
  const rows = Array.from({ length: count }, (_, index) => byLine[index + 1] ?? [])
  const beyond = Object.entries(byLine)
    .filter(([line]) => Number(line) < 1 || Number(line) > count)
    .flatMap(([, list]) => list)
  return { rows, general: [...general, ...beyond] }
}

export const isBlank = (row) => COLUMNS.every((c) => !String(row[c] ?? '').trim())

/** The rows as the API takes them, one for one (leave blank rows out first: line i is row i):
 * text trimmed, no empty phone. */
export function rowsToSend(rows) {
  return rows.map((row) => {
    const sent = Object.fromEntries(COLUMNS.map((c) => [c, String(row[c] ?? '').trim()]))
    if (!sent.phone) delete sent.phone
    return sent
  })
}

export const newKey = () => crypto.randomUUID().replaceAll('-', '')

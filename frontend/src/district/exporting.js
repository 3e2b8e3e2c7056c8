// Any table of the dashboard as CSV (UTF-8 with BOM, so Excel reads Chinese) or XLSX.

function cell(value) {
  if (value === null || value === undefined) return ''
  const text = String(value)
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** CSV text of `rows` (objects) with `columns` [{key, label}]. */
export function toCsv(rows, columns) {
  const lines = [columns.map((c) => cell(c.label)).join(',')]
  for (const row of rows) lines.push(columns.map((c) => cell(row[c.key])).join(','))
  return `\ufeff${lines.join('\r\n')}\r\n`
}

function save(blob, name) {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = name
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

export function downloadCsv(rows, columns, name) {
  save(new Blob([toCsv(rows, columns)], { type: 'text/csv;charset=utf-8' }), `${name}.csv`)
}

export async function downloadXlsx(rows, columns, name) {
  const { default: writeXlsxFile } = await import('write-excel-file/browser')
  const header = columns.map((c) => ({ value: c.label, fontWeight: 'bold' }))
  const body = rows.map((row) =>
    columns.map((c) => {
      const value = row[c.key]
      if (value === null || value === undefined) return null
      return typeof value === 'number' ? { type: Number, value } : { type: String, value: String(value) }
    }),
  )
  const blob = await writeXlsxFile([header, ...body]).toBlob()
  save(blob, `${name}.xlsx`)
}

/** One Excel file of several sheets: [{sheet, rows, columns}] (a sheet's name ≤ 31 characters). */
export async function downloadXlsxSheets(sheets, name) {
  const { default: writeXlsxFile } = await import('write-excel-file/browser')
  const cellOf = (value) => {
    if (value === null || value === undefined) return null
    return typeof value === 'number' ? { type: Number, value } : { type: String, value: String(value) }
  }
  const blob = await writeXlsxFile(
    sheets.map((s) => ({
      sheet: s.sheet.slice(0, 31),
      data: [
        s.columns.map((c) => ({ value: c.label, fontWeight: 'bold' })),
        ...s.rows.map((row) => s.columns.map((c) => cellOf(row[c.key]))),
      ],
    })),
  ).toBlob()
  save(blob, `${name}.xlsx`)
}

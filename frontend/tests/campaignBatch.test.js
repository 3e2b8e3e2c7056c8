import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'
import { useStaffAuth } from '../src/api.js'
import { ready } from '../src/staff/messages.js'
import BatchEntry from '../src/campaigns/BatchEntry.vue'
import { COLUMNS, csvPreview, errorsByLine, parseCsv, rowErrors, rowsToSend } from '../src/campaigns/batch.js'

const registry = {
  categories: [
    { id: 'street_light', name: '路灯照明', name_en: 'Street light out' },
    { id: 'drain', name: '下水道堵塞', name_en: 'Blocked drain' },
  ],
  communities: [
    { id: 'c01', name: '桃园社区', compounds: [{ id: 'x001', name: '锦兴雅居' }, { id: 'x002', name: '花园小区' }] },
    { id: 'c02', name: '杏林社区', compounds: [{ id: 'x010', name: '杏林苑' }] },
  ],
}
const campaign = { id: 'zx-ab12cd', name: '红色物业季', kinds: [], communities: ['c01', 'c02'] }
const invalid = (details) => ({
  status: 400,
  body: { error: { code: 'invalid_batch', message: 'Some rows are wrong', details } },
})

let answers = []
let sent = []
function answerWith(...next) {
  answers = next
  sent = []
  vi.stubGlobal('fetch', async (url, init) => {
    sent.push({ url, method: init.method, headers: init.headers, body: init.body ? JSON.parse(init.body) : null })
    const { status, body } = answers.shift()
    return new Response(JSON.stringify(body), { status })
  })
}

beforeAll(async () => {
  await ready
  useStaffAuth(async () => 'token', () => {})
})
afterEach(() => vi.unstubAllGlobals())

function open(communities = ['c01']) {
  return mount(BatchEntry, { props: { campaign, registry, communities }, global: { stubs: { RouterLink: RouterLinkStub } } })
}

async function fill(page, index, values) {
  const row = page.findAll('[data-testid=batch-row]')[index]
  for (const [name, value] of Object.entries(values)) await row.find(`[name=${name}]`).setValue(value)
}

describe('a CSV file before it is sent', () => {
  it('is read with its header, quoted fields and the line numbers the API gives', () => {
    const text = '\ufeff类别,小区,地址,问题描述,电话\r\nstreet_light,锦兴雅居,3栋,"灯不亮,很黑",\r\n\r\ndrain,x002,"5栋\n北侧",下水道 "堵" 了,13800000000\n'
    expect(parseCsv(text).map((r) => r.line)).toEqual([1, 2, 5]) // a record's line is the one it ends on, as the API counts
    const preview = csvPreview(text)
    expect(preview.columns).toEqual(['category', 'compound', 'address', 'description', 'phone'])
    expect(preview.missing).toEqual([])
    expect(preview.rows).toEqual([
      { line: 2, values: { category: 'street_light', compound: '锦兴雅居', address: '3栋', description: '灯不亮,很黑', phone: '' } },
      { line: 5, values: { category: 'drain', compound: 'x002', address: '5栋\n北侧', description: '下水道 "堵" 了', phone: '13800000000' } },
    ])
  })

  it('reads the other headers the API takes', () => {
    expect(csvPreview('问题类别,小区,详细地址,描述,联系电话\n路灯照明,x001,3栋,灯不亮了,\n').columns).toEqual(COLUMNS)
  })

  it('says which columns are missing and which will be ignored', () => {
    const preview = csvPreview('category,compound,notes\nstreet_light,x001,hello\n')
    expect(preview.missing).toEqual(['address', 'description'])
    expect(preview.unknown).toEqual(['notes'])
  })
})

describe('the errors of a batch', () => {
  const details = [
    { field: 'line 3/compound', code: 'unknown_compound', message: '没有这个小区' },
    { field: 'line 3/description', code: 'too_short', message: '请至少写5个字' },
    { field: 'line 1/category', code: 'unknown_category', message: '没有这个类别' },
    { field: 'rows', code: 'too_many', message: '最多200行' },
    { field: 'line 9', code: 'bad', message: '第9行' },
  ]

  it('are grouped by line, with what is not on a line apart', () => {
    const { byLine, general } = errorsByLine(details)
    expect(Object.keys(byLine)).toEqual(['1', '3', '9'])
    expect(byLine[3].map((e) => e.field)).toEqual(['compound', 'description'])
    expect(byLine[9]).toEqual([{ line: 9, field: '', code: 'bad', message: '第9行' }])
    expect(general.map((e) => e.code)).toEqual(['too_many'])
  })

  it('land on the form row of their line (line n is row n), lines past the form go apart', () => {
    const { rows, general } = rowErrors(details, 3)
    expect(rows.map((list) => list.map((e) => e.code))).toEqual([['unknown_category'], [], ['unknown_compound', 'too_short']])
    expect(general.map((e) => e.code)).toEqual(['too_many', 'bad'])
  })

  it('are of rows sent one for one, trimmed, without an empty phone', () => {
    expect(rowsToSend([{ category: ' drain ', compound: 'x001', address: 'a', description: 'b', phone: '' }])).toEqual([
      { category: 'drain', compound: 'x001', address: 'a', description: 'b' },
    ])
  })
})

describe('the batch form', () => {
  it('offers the kinds of the campaign and the compounds of the clerk’s communities only', () => {
    const page = mount(BatchEntry, {
      props: { campaign: { ...campaign, kinds: ['drain'] }, registry, communities: ['c02'] },
      global: { stubs: { RouterLink: RouterLinkStub } },
    })
    const row = page.findAll('[data-testid=batch-row]')[0]
    expect(row.findAll('[name=category] option').map((o) => o.element.value)).toEqual(['', 'drain'])
    expect(row.findAll('[name=compound] option').map((o) => o.element.value)).toEqual(['', 'x010'])
  })

  it('shows each error beside its row, keeps the rows, and sends them again under a new key once changed', async () => {
    const page = open()
    await fill(page, 0, { category: 'street_light', compound: 'x001', address: '3栋', description: '楼下路灯不亮' })
    await fill(page, 2, { category: 'drain', compound: 'x002', address: '5栋', description: '下水道堵了' })
    answerWith(invalid([{ field: 'line 2/description', code: 'too_short', message: '请至少写5个字' }]))
    await page.find('[data-testid=batch-submit]').trigger('click')
    await flushPromises()

    // The blank middle row is dropped before sending: the bad line 2 is the drain row.
    expect(sent[0].url).toBe('/api/staff/campaigns/zx-ab12cd/batch')
    expect(sent[0].body.rows.map((r) => r.category)).toEqual(['street_light', 'drain'])
    const firstKey = sent[0].headers['Idempotency-Key']
    expect(firstKey).toMatch(/^[0-9a-f]{32}$/)
    const rows = page.findAll('[data-testid=batch-row]')
    expect(rows).toHaveLength(2)
    expect(rows[0].find('[data-testid=row-errors]').exists()).toBe(false)
    expect(rows[1].find('[data-testid=row-errors]').text()).toBe('第 2 行 · 问题描述：字数太少')
    expect(rows[1].find('[name=description]').classes()).toContain('bad')
    expect(rows[1].find('[name=description]').element.value).toBe('下水道堵了')
    expect(page.find('[data-testid=batch-invalid]').text()).toContain('1')

    await fill(page, 1, { description: '5栋下水道堵了三天' })
    answerWith({ status: 201, body: { count: 2, created: [{ line: 1, code: 'YS0001' }, { line: 2, code: 'YS0002' }] } })
    await page.find('[data-testid=batch-submit]').trigger('click')
    await flushPromises()
    expect(sent[0].headers['Idempotency-Key']).not.toBe(firstKey)
    expect(page.find('[data-testid=batch-invalid]').exists()).toBe(false)
    const links = page.findAllComponents(RouterLinkStub)
    expect(links.map((l) => l.props('to'))).toEqual(['/staff/case/YS0001', '/staff/case/YS0002'])
    expect(page.find('[data-testid=batch-created]').text()).toContain('已生成 2 张工单')
    expect(page.emitted('created')).toHaveLength(1)
  })

  it('retries a lost answer under the same key', async () => {
    const page = open()
    await fill(page, 0, { category: 'street_light', compound: 'x001', address: '3栋', description: '楼下路灯不亮' })
    answerWith({ status: 503, body: { error: { code: 'unavailable', message: 'Try again' } } })
    await page.find('[data-testid=batch-submit]').trigger('click')
    await flushPromises()
    const key = sent[0].headers['Idempotency-Key']
    expect(page.find('[role=alert]').exists()).toBe(true)
    answerWith({ status: 201, body: { count: 1, created: [{ line: 1, code: 'YS0003' }] } })
    await page.find('[data-testid=batch-submit]').trigger('click')
    await flushPromises()
    expect(sent[0].headers['Idempotency-Key']).toBe(key)
  })

  it('previews a CSV file and marks the bad lines of the file in the preview', async () => {
    const page = open()
    await page.find('[data-testid=batch-file-tab]').trigger('click')
    const text = '类别,小区,地址,问题描述\nstreet_light,锦兴雅居,3栋,路灯不亮\ndrain,无此小区,5栋,下水道堵了\n'
    const input = page.find('[data-testid=batch-csv]')
    Object.defineProperty(input.element, 'files', { value: [new File([text], 'meeting.csv', { type: 'text/csv' })] })
    await input.trigger('change')
    await flushPromises()
    const lines = () => page.findAll('[data-testid=batch-preview] tbody tr')
    expect(lines().map((tr) => tr.find('td').text())).toEqual(['2', '3'])
    expect(page.find('[data-testid=batch-file]').text()).toContain('预览：2 行')

    answerWith(invalid([{ field: 'line 3/compound', code: 'unknown_compound', message: '没有这个小区：无此小区' }]))
    await page.find('[data-testid=batch-submit]').trigger('click')
    await flushPromises()
    expect(sent[0].body).toEqual({ csv: text })
    expect(lines()[0].classes()).not.toContain('bad')
    expect(lines()[1].classes()).toContain('bad')
    expect(lines()[1].text()).toContain('小区：没有这个小区')
  })

  it('names the problems of a file that are on no previewed line (its header) apart', async () => {
    const page = open()
    await page.find('[data-testid=batch-file-tab]').trigger('click')
    const input = page.find('[data-testid=batch-csv]')
    Object.defineProperty(input.element, 'files', { value: [new File(['类别,小区,地址\n路灯照明,x001,3栋\n'], 'm.csv')] })
    await input.trigger('change')
    await flushPromises()
    expect(page.find('[data-testid=batch-file]').text()).toContain('表头缺少：description')
    answerWith(invalid([{ field: 'line 1', code: 'missing_column', message: 'No description column.' }]))
    await page.find('[data-testid=batch-submit]').trigger('click')
    await flushPromises()
    expect(page.find('[data-testid=batch-invalid]').text()).toContain('有 1 处错误')
    expect(page.find('[data-testid=batch-general]').text()).toBe('第 1 行 · 表头缺少这一列')
  })
})

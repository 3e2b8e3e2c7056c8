import { beforeAll, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { ready } from '../src/staff/messages.js'
import CampaignFigures from '../src/campaigns/CampaignFigures.vue'
import { figure, reportSheets, share } from '../src/campaigns/report.js'

const row = (collected, rates = {}) => ({
  collected,
  whistled: 2,
  local: collected - 2,
  claimed_on_time: 1,
  claimed_late: 1,
  response_rate: 0.5,
  resolved: 3,
  resolved_on_time: 2,
  on_time_rate: 2 / 3,
  rated: 0,
  satisfaction_rate: null,
  open: collected - 3,
  residents_waiting: 4,
  ...rates,
})
const campaign = {
  id: 'zx-ab12cd',
  name: '红色物业季',
  starts: '2026-10-01',
  ends: '2026-12-31',
  community_names: ['桃园社区', '杏林社区'],
  kinds: ['street_light'],
  kind_names: ['路灯照明'],
  kind_names_en: ['Street light out'],
}
const progress = {
  as_of: '2026-11-30',
  target: 120,
  solved: 87,
  totals: row(10),
  by_community: [{ ...row(6), id: 'c01', name: '桃园社区' }, { ...row(4), id: 'c02', name: '杏林社区' }],
  by_department: [{ ...row(5, { response_rate: null }), id: 'chengguan', name: '区城市管理局', name_en: 'City management' }],
  by_category: [{ id: 'street_light', name: '路灯照明', name_en: 'Street light out', collected: 8, solved: 6 }],
  by_compound: [{ id: 'x001', name: '锦兴雅居', collected: 10, solved: 3 }],
}

beforeAll(() => ready)

describe('the figures of a campaign', () => {
  it('are rates as percentages and "—" where there is nothing to count from', () => {
    expect(figure(progress.totals, 'on_time_rate')).toBe('66.7%')
    expect(figure(progress.totals, 'satisfaction_rate')).toBe('—')
    expect(figure(progress.totals, 'collected')).toBe('10')
    expect(figure({ collected: null }, 'collected')).toBe('—')
    expect(share(87, 120)).toBe(73)
    expect(share(130, 120)).toBe(100) // a bar never runs past its end
  })

  it('draw the KPI cards, a table row per community and department with its total, and the fixes', () => {
    const page = mount(CampaignFigures, { props: { progress } })
    const cards = page.findAll('[data-kpi]').map((c) => [c.attributes('data-kpi'), c.find('strong').text()])
    expect(cards).toEqual([
      ['collected', '10'],
      ['whistled', '2'],
      ['claimedOnTime', '1'],
      ['resolvedOnTime', '2'],
      ['satisfaction', '—'],
      ['waiting', '4'],
    ])
    expect(page.find('[data-testid=campaign-target]').text()).toContain('已解决 87 / 目标 120')
    expect(page.find('[data-testid=campaign-target]').text()).toContain('距目标还差 33 个')
    const communities = page.findAll('[data-testid=campaign-byCommunity] tbody tr').map((tr) => tr.findAll('td')[0].text())
    expect(communities).toEqual(['桃园社区', '杏林社区', '合计'])
    const department = page.findAll('[data-testid=campaign-byDepartment] tbody tr')[0].findAll('td').map((td) => td.text())
    expect(department.slice(0, 2)).toEqual(['区城市管理局', '5'])
    expect(department[6]).toBe('—') // its response rate has no base
    // Departments do not add up to the campaign's totals: their table has no total row.
    expect(page.findAll('[data-testid=campaign-byDepartment] tbody tr')).toHaveLength(1)
    expect(page.find('[data-testid=campaign-byKind]').text()).toContain('6/8')
    expect(page.find('[data-testid=campaign-byCompound]').text()).toContain('锦兴雅居')
  })
})

describe('the end-of-campaign Excel file', () => {
  it('has a summary and a sheet per table, rates as numbers of per cent, nothing as an empty cell', () => {
    const sheets = reportSheets(campaign, progress)
    expect(sheets.map((s) => s.sheet)).toEqual(['总体', '各社区', '各部门', '问题类型', '小区'])
    const summary = Object.fromEntries(sheets[0].rows.map((r) => [r.what, r.value]))
    expect(summary).toMatchObject({ 名称: '红色物业季', 行动周期: '2026-10-01 – 2026-12-31', 重点问题类型: '路灯照明', '目标（解决问题个数）': 120, 已解决: 87, 数据截至: '2026-11-30' })
    expect(summary['按期办结率 (%)']).toBe(66.7)
    expect(summary['满意率 (%)']).toBeNull()
    expect(sheets[1].rows.map((r) => r.name)).toEqual(['桃园社区', '杏林社区'])
    expect(sheets[2].rows[0].response_rate).toBeNull()
    expect(sheets[3].rows).toEqual([{ name: '路灯照明', collected: 8, solved: 6 }])
  })

  it('is written with one sheet per table', async () => {
    const written = []
    vi.doMock('write-excel-file/browser', () => ({
      default: (sheets) => {
        written.push(sheets)
        return { toBlob: async () => new Blob(['x']) }
      },
    }))
    URL.createObjectURL = () => 'blob:x'
    URL.revokeObjectURL = () => {}
    const { downloadXlsxSheets } = await import('../src/district/exporting.js')
    await downloadXlsxSheets(reportSheets(campaign, progress), 'campaign-zx-ab12cd')
    expect(written[0].map((s) => s.sheet)).toEqual(['总体', '各社区', '各部门', '问题类型', '小区'])
    expect(written[0][1].data[0][0]).toEqual({ value: '名称', fontWeight: 'bold' })
    expect(written[0][1].data[1].slice(0, 2)).toEqual([{ type: String, value: '桃园社区' }, { type: Number, value: 6 }])
  })
})

describe('the dashboard’s campaigns', () => {
  it('list running ones first, each linked to its page with its bar to the target', async () => {
    const { useStaffAuth } = await import('../src/api.js')
    const { flushPromises, RouterLinkStub } = await import('@vue/test-utils')
    useStaffAuth(async () => 'token', () => {})
    const listed = [
      { id: 'zx-old', name: '三季度', state: 'ended', starts: '2026-07-01', ends: '2026-09-30', target: 10, solved: 12, collected: 20 },
      { id: 'zx-now', name: '四季度', state: 'running', starts: '2026-10-01', ends: '2026-12-31', target: 120, solved: 87, collected: 130 },
    ]
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ campaigns: listed, sample: false }), { status: 200 }))
    // The panel is on the screen (it asks for its campaigns only then: dashboard/inView.js).
    vi.stubGlobal(
      'IntersectionObserver',
      class {
        constructor(callback) {
          this.callback = callback
        }
        observe(target) {
          this.callback([{ target, isIntersecting: true }], this)
        }
        disconnect() {}
      },
    )
    const { default: CampaignsPanel } = await import('../src/district/dashboard/CampaignsPanel.vue')
    const page = mount(CampaignsPanel, { global: { stubs: { RouterLink: RouterLinkStub } } })
    await flushPromises()
    const links = page.findAllComponents(RouterLinkStub).map((l) => l.props('to'))
    expect(links).toEqual([{ name: 'campaigns' }, { name: 'campaign', params: { id: 'zx-now' } }, { name: 'campaign', params: { id: 'zx-old' } }])
    const bars = page.findAll('progress').map((p) => [p.attributes('value'), p.attributes('max')])
    expect(bars).toEqual([['87', '120'], ['10', '10']]) // a bar never runs past its end
    vi.unstubAllGlobals()
  })
})

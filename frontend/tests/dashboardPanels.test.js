import { describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'

// The dashboard draws its first screen (filters, KPI cards) on its own and the panels below it
// after that has been painted, one per task; the charts are drawn once every panel is there.
let releaseStrings
vi.mock('../src/staff/messages.js', () => ({ ready: new Promise((resolve) => (releaseStrings = resolve)) }))
vi.mock('../src/staff/StaffLayout.vue', () => ({ default: { template: '<div><slot /></div>' } }))
vi.mock('vant', () => ({ Button: { template: '<button><slot /></button>' }, showToast: () => {} }))
vi.mock('vant/es/button/style/index', () => ({}))
vi.mock('vant/es/toast/style/index', () => ({}))
vi.mock('../src/api.js', () => {
  class ApiError extends Error {}
  return {
    ApiError,
    getRegistry: async () => ({ communities: [], departments: [], categories: [] }),
    staffApi: { me: async () => ({ roles: ['district'], scopes: [] }) },
    staffRequest: async (method, path) => ({ path, counts: {} }),
  }
})
vi.mock('../src/staff/auth.js', () => ({ accessToken: async () => 'token' }))
const panelsWhenDrawn = []
let page
vi.mock('../src/district/dashboard/useCharts.js', () => ({
  provideCharts: () => ({ draw: async () => panelsWhenDrawn.push(page.findAll('.below').length) }),
}))

const DashboardPage = (await import('../src/district/DashboardPage.vue')).default
const BELOW = ['TrendsPanel', 'RankingsPanel', 'IndicatorsPanel', 'CoveragePanel', 'OverduePanel', 'HotspotsPanel', 'ProjectsPanel', 'CampaignsPanel']
const stubs = Object.fromEntries(BELOW.map((name) => [name, { template: `<article class="below">${name}</article>` }]))
stubs.KpiPanel = { template: '<section class="kpis"></section>' }
const settle = async () => {
  for (let round = 0; round < 12; round += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    await flushPromises()
  }
}

describe('the dashboard page', () => {
  it('draws the KPI cards first and the panels below once the first screen is painted', async () => {
    page = mount(DashboardPage, { global: { stubs } })
    await settle()
    // The figures are in, but the strings the first screen waits for are not: nothing below yet.
    expect(page.find('.kpis').exists()).toBe(true)
    expect(page.findAll('.below')).toHaveLength(0)
    expect(panelsWhenDrawn).toEqual([])

    releaseStrings()
    await settle()
    expect(page.findAll('.below').map((p) => p.text())).toEqual(BELOW)
    expect(panelsWhenDrawn).toEqual([BELOW.length]) // the charts waited for every panel
    page.unmount()
  })
})

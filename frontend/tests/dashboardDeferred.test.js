import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'

// The hotspots' map and the projects wait below the first screen: nothing is asked for, and
// ECharts is not loaded, until the panel comes near the screen; then they load as before.
const asked = { hotspots: 0, projects: 0, campaigns: 0, charts: 0 }
const drawn = []
vi.mock('../src/api.js', () => ({
  staffApi: {
    hotspots: async () => {
      asked.hotspots += 1
      return {
        day: '2026-11-30',
        rule: { cases: 3, days: 30 },
        compounds: [{ id: 'x001', name: '幸福小区', lat: 31.1, lng: 121.1 }],
        hotspots: [
          {
            type: 'recurring',
            category: 'street_light',
            category_name: '路灯不亮',
            category_name_en: 'Street light out',
            community_name: '桃园社区',
            compound: 'x001',
            compound_name: '幸福小区',
            cases: 4,
            lat: 31.1,
            lng: 121.1,
          },
        ],
      }
    },
    campaigns: async () => {
      asked.campaigns += 1
      return { campaigns: [{ id: 'zx-now', name: '四季度', state: 'running', starts: '2026-10-01', ends: '2026-12-31', target: 120, solved: 87 }] }
    },
    projects: async () => {
      asked.projects += 1
      return {
        projects: [
          { id: 'p1', title: '幸福小区路灯', status: 'active', owner_name: '路灯所', due: '2027-03-31', progress: { cases: 4, fixed: 1 } },
        ],
      }
    },
  },
}))
vi.mock('../src/district/charts.js', () => ({
  loadCharts: async () => {
    asked.charts += 1
    return {
      init: () => ({ setOption: (option) => drawn.push(option), dispose: () => {}, resize: () => {} }),
    }
  },
}))

// An IntersectionObserver the test moves: `scrollTo(true)` brings the watched panels into view.
const observers = []
class FakeObserver {
  constructor(callback, options) {
    this.callback = callback
    this.options = options
    this.targets = new Set()
    observers.push(this)
  }
  observe(target) {
    this.targets.add(target)
  }
  disconnect() {
    this.targets.clear()
  }
}
function scrollTo(visible) {
  for (const observer of [...observers]) {
    if (!observer.targets.size) continue
    observer.callback([...observer.targets].map((target) => ({ target, isIntersecting: visible })), observer)
  }
}

const HotspotsPanel = (await import('../src/district/dashboard/HotspotsPanel.vue')).default
const ProjectsPanel = (await import('../src/district/dashboard/ProjectsPanel.vue')).default
const CampaignsPanel = (await import('../src/district/dashboard/CampaignsPanel.vue')).default
const stubs = { RouterLink: { template: '<a><slot /></a>' } }

beforeEach(() => {
  Object.assign(asked, { hotspots: 0, projects: 0, campaigns: 0, charts: 0 })
  drawn.length = 0
  observers.length = 0
  vi.stubGlobal('IntersectionObserver', FakeObserver)
})
afterEach(() => vi.unstubAllGlobals())

describe('the panels below the first screen', () => {
  it('ask for nothing and load no ECharts until they come near the screen', async () => {
    const hotspots = mount(HotspotsPanel, { props: { canMakeProjects: true }, global: { stubs } })
    const projects = mount(ProjectsPanel, { global: { stubs } })
    const campaigns = mount(CampaignsPanel, { global: { stubs } })
    await flushPromises()
    scrollTo(false) // the observer reports them still out of view
    await flushPromises()
    expect(asked).toEqual({ hotspots: 0, projects: 0, campaigns: 0, charts: 0 })
    expect(observers.map((o) => o.options.rootMargin)).toEqual(['200px', '200px', '200px'])
    expect(hotspots.find('[data-testid="hotspots"]').exists()).toBe(true) // the frame is there
    hotspots.unmount()
    projects.unmount()
    campaigns.unmount()
  })

  it('load their rows and draw the map once scrolled into view, once', async () => {
    const hotspots = mount(HotspotsPanel, { props: { canMakeProjects: true }, global: { stubs } })
    const projects = mount(ProjectsPanel, { global: { stubs } })
    const campaigns = mount(CampaignsPanel, { global: { stubs } })
    await flushPromises()
    scrollTo(true)
    await flushPromises()
    expect(asked).toEqual({ hotspots: 1, projects: 1, campaigns: 1, charts: 1 })
    expect(campaigns.text()).toContain('四季度')
    expect(hotspots.findAll('[data-testid="hotspot"]')).toHaveLength(1)
    expect(hotspots.text()).toContain('幸福小区')
    expect(drawn).toHaveLength(1)
    expect(drawn[0].series[1].data).toHaveLength(1) // the hotspot on the map
    expect(projects.text()).toContain('幸福小区路灯')

    scrollTo(true) // in view again: nothing more is asked for
    await flushPromises()
    expect(asked).toEqual({ hotspots: 1, projects: 1, campaigns: 1, charts: 1 })
    hotspots.unmount()
    projects.unmount()
    campaigns.unmount()
  })

  it('stop watching when the page is left before they came into view', async () => {
    const projects = mount(ProjectsPanel, { global: { stubs } })
    await flushPromises()
    projects.unmount()
    scrollTo(true)
    await flushPromises()
    expect(asked.projects).toBe(0)
  })
})

import { describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { fitBounds, latitudeOf, mercatorY, tilesCovering } from '../src/district/dashboard/tiles.js'

// The hotspots' map takes an optional tile layer (production configuration): the tiles that
// cover the district at the most detailed zoom within a budget, placed where the chart's axes
// put their edges, the points in Web Mercator so they sit on the tiles.

const TEMPLATE = 'https://tiles.example.cn/{z}/{x}/{y}.png'
const DISTRICT = { west: 118.45, east: 118.56, south: mercatorY(31.6), north: mercatorY(31.72) }

describe('tiles.js', () => {
  it('turns latitudes into Web-Mercator degrees and back', () => {
    expect(mercatorY(0)).toBeCloseTo(0, 9)
    for (const lat of [-60, 31.68, 45, 80]) expect(latitudeOf(mercatorY(lat))).toBeCloseTo(lat, 9)
    expect(mercatorY(31.68)).toBeGreaterThan(31.68) // stretched away from the equator
  })

  it('widens the extent so a degree is as long across as up and down', () => {
    const bounds = fitBounds([[118.5, 33.0], [118.52, 33.2]], 600, 300)
    expect((bounds.east - bounds.west) / (bounds.north - bounds.south)).toBeCloseTo(2, 9)
    expect(bounds.west).toBeLessThan(118.5)
    expect(bounds.north).toBeGreaterThan(33.2)
  })

  it('covers the extent with at most the budget of tiles at the deepest zoom that fits', () => {
    const tiles = tilesCovering(DISTRICT, TEMPLATE, 24)
    expect(tiles.length).toBeGreaterThan(1)
    expect(tiles.length).toBeLessThanOrEqual(24)
    const zooms = new Set(tiles.map((tile) => tile.url.split('/')[3]))
    expect(zooms.size).toBe(1)
    const zoom = Number([...zooms][0])
    expect(zoom).toBeGreaterThanOrEqual(10)
    expect(tilesCovering(DISTRICT, TEMPLATE, 10 ** 6).length).toBeGreaterThan(24) // deeper would not fit
    expect(Math.min(...tiles.map((t) => t.west))).toBeLessThanOrEqual(DISTRICT.west)
    expect(Math.max(...tiles.map((t) => t.east))).toBeGreaterThanOrEqual(DISTRICT.east)
    expect(Math.min(...tiles.map((t) => t.south))).toBeLessThanOrEqual(DISTRICT.south)
    expect(Math.max(...tiles.map((t) => t.north))).toBeGreaterThanOrEqual(DISTRICT.north)
    for (const tile of tiles) {
      expect(tile.url).toMatch(/^https:\/\/tiles\.example\.cn\/\d+\/\d+\/\d+\.png$/)
      // Square in Web Mercator: as many degrees across as up and down.
      expect(tile.east - tile.west).toBeCloseTo(tile.north - tile.south, 6)
    }
  })
})

// The panel with a mocked chart whose axes map linearly onto a 600×284 grid.
let answer
vi.mock('../src/api.js', () => ({ staffApi: { hotspots: async () => answer } }))
vi.mock('../src/district/charts.js', () => ({
  loadCharts: async () => ({
    init: () => {
      let axes
      return {
        setOption: (option) => {
          axes = option
        },
        convertToPixel: (_, [x, y]) => {
          const { min: west, max: east } = axes.xAxis
          const { min: south, max: north } = axes.yAxis
          return [8 + ((x - west) / (east - west)) * 600, 8 + ((north - y) / (north - south)) * 284]
        },
        dispose: () => {},
        resize: () => {},
      }
    },
  }),
}))
vi.mock('../src/district/dashboard/inView.js', () => ({
  whenInView: (_, show) => {
    show()
    return () => {}
  },
}))

const compounds = [
  { id: 'x001', name: '锦兴雅居', lat: 31.62, lng: 118.46 },
  { id: 'x002', name: '江庭小区', lat: 31.7, lng: 118.55 },
]

async function panel(tiles) {
  answer = { day: '2026-11-30', rule: { cases: 3, days: 14 }, compounds, hotspots: [], tiles }
  const { default: HotspotsPanel } = await import('../src/district/dashboard/HotspotsPanel.vue')
  const wrapper = mount(HotspotsPanel, { global: { stubs: { RouterLink: true } } })
  await flushPromises()
  await flushPromises()
  return wrapper
}

describe('HotspotsPanel with a tile layer', () => {
  it('lays the tiles under the points and names their provider', async () => {
    const wrapper = await panel({ url: TEMPLATE, attribution: '© 示例地图服务' })
    const images = wrapper.findAll('[data-testid="map-tiles"] img')
    expect(images.length).toBeGreaterThan(1)
    expect(images.length).toBeLessThanOrEqual(24)
    for (const image of images) {
      expect(image.attributes('src')).toMatch(/^https:\/\/tiles\.example\.cn\/\d+\/\d+\/\d+\.png$/)
      expect(parseFloat(image.element.style.width)).toBeGreaterThan(0)
    }
    // The tiles reach past every edge of the grid, so the points never sit on a gap.
    const box = (image) => ({
      left: parseFloat(image.element.style.left),
      top: parseFloat(image.element.style.top),
      right: parseFloat(image.element.style.left) + parseFloat(image.element.style.width),
      bottom: parseFloat(image.element.style.top) + parseFloat(image.element.style.height),
    })
    const boxes = images.map(box)
    expect(Math.min(...boxes.map((b) => b.left))).toBeLessThanOrEqual(8)
    expect(Math.min(...boxes.map((b) => b.top))).toBeLessThanOrEqual(8)
    expect(Math.max(...boxes.map((b) => b.right))).toBeGreaterThanOrEqual(608)
    expect(Math.max(...boxes.map((b) => b.bottom))).toBeGreaterThanOrEqual(292)
    expect(wrapper.find('.attribution').text()).toBe('© 示例地图服务')
  })

  it('draws no tiles and needs none when none are configured', async () => {
    const wrapper = await panel(null)
    expect(wrapper.find('[data-testid="map-tiles"]').exists()).toBe(false)
    expect(wrapper.find('.attribution').exists()).toBe(false)
  })
})

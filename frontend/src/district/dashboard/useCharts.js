// The dashboard's charts, drawn together by the page. Each panel says where a chart goes and
// what it shows (useChart); the page provides the set (provideCharts) and redraws it when the
// figures arrive or the wall screen is switched.
import { inject, onBeforeUnmount, onMounted, provide } from 'vue'
import { loadCharts, PALETTE } from '../charts.js'

const CHARTS = Symbol('dashboard charts')

/** The page's set of charts; `wall` (a ref) draws them larger. Returns {draw}. */
export function provideCharts(wall) {
  const places = [] // {el: ref to the element, option: ({font, wall}) => ECharts option}
  const charts = []
  let drawing = 0 // a newer draw (new figures, wall screen) makes an unfinished one stop
  let seen = null

  /** Resolves once a chart is on (or near) the screen: on a phone the charts sit below the KPI
   * cards, and ECharts (the biggest thing the page loads) waits until someone scrolls to them. */
  function chartsInView() {
    seen ??= new Promise((resolve) => {
      const panels = places.map((place) => place.el.value).filter(Boolean)
      if (!panels.length || typeof IntersectionObserver === 'undefined') return resolve()
      const observer = new IntersectionObserver(
        (entries) => {
          if (!entries.some((entry) => entry.isIntersecting)) return
          observer.disconnect()
          resolve()
        },
        { rootMargin: '200px' },
      )
      panels.forEach((panel) => observer.observe(panel))
    })
    return seen
  }

  async function draw() {
    const generation = ++drawing
    await chartsInView()
    const echarts = await loadCharts()
    if (generation !== drawing) return
    dispose()
    const font = wall.value ? 16 : 12
    const base = { color: PALETTE, textStyle: { fontFamily: 'inherit', fontSize: font }, animation: false }
    for (const { el, option } of places) {
      if (!el.value) continue
      const chart = echarts.init(el.value, null, { renderer: 'canvas' })
      chart.setOption({ ...base, ...option({ font, wall: wall.value }) })
      charts.push(chart)
    }
  }

  const resize = () => charts.forEach((chart) => chart.resize())
  const dispose = () => charts.splice(0).forEach((chart) => chart.dispose())

  provide(CHARTS, (place) => {
    places.push(place)
    return () => places.splice(places.indexOf(place), 1)
  })
  onMounted(() => window.addEventListener('resize', resize))
  onBeforeUnmount(() => {
    window.removeEventListener('resize', resize)
    dispose()
  })
  return { draw }
}

/** A chart of the page's set, drawn in the element `el` (a ref) with `option({font, wall})`. */
export function useChart(el, option) {
  const add = inject(CHARTS)
  onBeforeUnmount(add({ el, option }))
}

// The dashboard's charts, drawn together by the page. Each panel says where a chart goes and
// what it shows (useChart); the page provides the set (provideCharts) and redraws it when the
// figures arrive. A redraw gives each chart its new option in place (no blank frame: the wall
// screen redraws every few minutes).
import { inject, onBeforeUnmount, onMounted, provide } from 'vue'
import { loadCharts, PALETTE, WALL_PALETTE } from '../charts.js'

const CHARTS = Symbol('dashboard charts')

/** The page's set of charts; `wall` draws them for the wall screen (larger type). Returns {draw}. */
export function provideCharts(wall = false) {
  const places = [] // {el: ref to the element, option: ({font, wall, width, height}) => ECharts option}
  const charts = new Map() // element → its chart
  const drawnAt = new Map() // element → its size when last drawn
  let drawing = 0 // a newer draw (new figures) makes an unfinished one stop
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
    const font = wall ? 18 : 12
    // A canvas knows no 'inherit': an unknown family would draw every label in 10px sans-serif.
    const fontFamily = getComputedStyle(document.body).fontFamily
    const base = wall
      ? { color: WALL_PALETTE, backgroundColor: 'transparent', textStyle: { fontFamily, fontSize: font, color: '#e5e7eb' }, animation: false }
      : { color: PALETTE, textStyle: { fontFamily, fontSize: font }, animation: false }
    const here = new Set()
    for (const { el, option } of [...places]) {
      // One chart per task: the page stays free to answer between them.
      if (here.size) await new Promise((resolve) => setTimeout(resolve, 0))
      if (generation !== drawing) return
      if (!el.value) continue
      here.add(el.value)
      let chart = charts.get(el.value)
      if (!chart) {
        chart = echarts.init(el.value, wall ? 'dark' : null, { renderer: 'canvas' })
        charts.set(el.value, chart)
        sized?.observe(el.value)
      }
      drawnAt.set(el.value, sizeOf(el.value))
      const width = el.value.clientWidth || 320
      const height = el.value.clientHeight || 260
      chart.setOption({ ...base, ...option({ font, wall, width, height }) }, { notMerge: true })
    }
    for (const [el, chart] of charts) {
      if (here.has(el)) continue
      sized?.unobserve(el)
      chart.dispose()
      charts.delete(el)
      drawnAt.delete(el)
    }
  }

  // A chart whose box changes size (the window, the fonts or the language arrived) is drawn
  // again at its new size, its labels wrapped to its new width.
  let resizing = null
  function resize() {
    clearTimeout(resizing)
    resizing = setTimeout(() => {
      if (!charts.size) return
      charts.forEach((chart) => chart.resize())
      draw()
    }, 150)
  }
  const sizeOf = (el) => `${el.clientWidth}x${el.clientHeight}`
  const sized =
    typeof ResizeObserver === 'undefined'
      ? null
      : new ResizeObserver((entries) => {
          if (entries.some((entry) => drawnAt.get(entry.target) !== sizeOf(entry.target))) resize()
        })
  const dispose = () => {
    clearTimeout(resizing)
    sized?.disconnect()
    charts.forEach((chart) => chart.dispose())
    charts.clear()
  }

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

/** A chart of the page's set, drawn in the element `el` (a ref) with `option({font, wall, width, height})`
 * (the element's size in pixels). */
export function useChart(el, option) {
  const add = inject(CHARTS)
  onBeforeUnmount(add({ el, option }))
}

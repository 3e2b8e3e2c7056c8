// Work a panel waits with until it is on (or near) the screen: on a phone the hotspots' map and
// the projects sit far below the KPI cards, and their requests and ECharts would otherwise
// compete with the figures the first screen shows.

/** Runs `start` once the element in `el` (a ref) comes within `margin` of the screen, or at once
 * where there is no IntersectionObserver. Returns a function that stops watching. */
export function whenInView(el, start, margin = '200px') {
  const target = el.value
  if (!target || typeof IntersectionObserver === 'undefined') {
    start()
    return () => {}
  }
  const observer = new IntersectionObserver(
    (entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return
      observer.disconnect()
      start()
    },
    { rootMargin: margin },
  )
  observer.observe(target)
  return () => observer.disconnect()
}

// ECharts, loaded only by the dashboard, with just the charts it draws (./echarts.js). It is
// the biggest script the dashboard runs: it loads in four steps, each evaluated in a task of
// its own with the page free to answer in between, rather than one long task that blocks it.
let loading = null

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0))

export function loadCharts() {
  loading ??= (async () => {
    for (const step of [() => import('./echarts-zrender.js'), () => import('./echarts-core.js'), () => import('./echarts-components.js')]) {
      await step()
      await nextTask()
    }
    return import('./echarts.js')
  })().catch((error) => {
    loading = null // tried again at the next draw (a wall screen runs for days)
    throw error
  })
  return loading
}

export const PALETTE = ['#c8102e', '#1d4ed8', '#1a7f37', '#b35900', '#6d28d9', '#0e7490', '#be185d', '#4d7c0f']
// Lighter colours for the wall screen's dark panels.
export const WALL_PALETTE = ['#f87171', '#60a5fa', '#4ade80', '#fbbf24', '#c084fc', '#22d3ee', '#f472b6', '#a3e635']

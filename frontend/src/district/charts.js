// ECharts, loaded only by the dashboard, with just the charts it draws (./echarts.js).
let loading = null

export function loadCharts() {
  loading ??= import('./echarts.js')
  return loading
}

export const PALETTE = ['#c8102e', '#1d4ed8', '#1a7f37', '#b35900', '#6d28d9', '#0e7490', '#be185d', '#4d7c0f']
// Lighter colours for the wall screen's dark panels.
export const WALL_PALETTE = ['#f87171', '#60a5fa', '#4ade80', '#fbbf24', '#c084fc', '#22d3ee', '#f472b6', '#a3e635']

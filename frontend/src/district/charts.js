// ECharts, loaded only by the dashboard and the results board, with just the charts they draw.
let loading = null

export function loadCharts() {
  loading ??= Promise.all([
    import('echarts/core'),
    import('echarts/charts'),
    import('echarts/components'),
    import('echarts/renderers'),
  ]).then(([core, charts, components, renderers]) => {
    core.use([
      charts.LineChart,
      charts.BarChart,
      charts.PieChart,
      components.GridComponent,
      components.TooltipComponent,
      components.LegendComponent,
      components.TitleComponent,
      renderers.CanvasRenderer,
    ])
    return core
  })
  return loading
}

export const PALETTE = ['#c8102e', '#1d4ed8', '#1a7f37', '#b35900', '#6d28d9', '#0e7490', '#be185d', '#4d7c0f']

// Just the parts of ECharts the dashboard draws, imported by name so that the build keeps
// only these (a dynamic import of echarts/charts or echarts/components takes every chart and
// component there is, maps included).
import { use } from 'echarts/core'
import { BarChart, LineChart, PieChart, ScatterChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

use([LineChart, BarChart, PieChart, ScatterChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer])

export { init } from 'echarts/core'

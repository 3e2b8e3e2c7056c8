// The last step of loading ECharts (charts.js): just the charts the dashboard draws, imported
// by name so that the build keeps only these (a dynamic import of echarts/charts or
// echarts/components takes every chart and component there is, maps included).
import { use } from 'echarts/core'
import { BarChart, LineChart, PieChart, ScatterChart } from 'echarts/charts'
import './echarts-components.js'

use([LineChart, BarChart, PieChart, ScatterChart])

export { init } from 'echarts/core'

// The third step of loading ECharts (charts.js): the components the dashboard's charts use and
// the canvas renderer, imported by name so that the build keeps only these.
import { use } from 'echarts/core'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

use([GridComponent, TooltipComponent, LegendComponent, CanvasRenderer])

// The second step of loading ECharts (charts.js): its core, without any chart or component.
export { use } from 'echarts/core'

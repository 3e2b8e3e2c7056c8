// The first of the steps in which ECharts loads (charts.js): its drawing library, zrender.
export { init } from 'zrender/lib/zrender.js'

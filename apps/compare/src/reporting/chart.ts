import * as echarts from 'echarts';
import { chartOption, chartSize, type ChartSpec } from './chart-option.js';

export { plottable, type ChartSpec, type HeatmapSpec, type SeriesSpec } from './chart-option.js';

/** Renders a chart to a standalone SVG string with ECharts' server-side renderer (no DOM, no script). */
export function renderChartSvg(spec: ChartSpec): string {
  const { width, height } = chartSize(spec);
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  chart.setOption(chartOption(spec));
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

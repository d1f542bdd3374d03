import * as echarts from 'echarts';

/** One line or bar series; `null` leaves a gap (a zero or non-finite value cannot sit on a log axis). */
export interface SeriesSpec {
  name: string;
  color: string;
  dash?: 'solid' | 'dashed' | 'dotted';
  symbol?: 'circle' | 'triangle' | 'rect' | 'diamond';
  data: [number | string, number | null][];
}

export interface ChartSpec {
  /** Anchor in the report, e.g. `depth-blocks-sigmoid`. */
  id: string;
  title: string;
  /** One line saying what the chart shows. */
  caption: string;
  kind: 'line' | 'bar';
  xName: string;
  yName: string;
  /** Category labels for a category axis (bars, or lines over discrete values such as T). Bars are horizontal:
   *  their series data are `[category, value]`. */
  categories?: string[];
  /** Log scale on the value axis (y for lines, x for horizontal bars). */
  log: boolean;
  series: SeriesSpec[];
  width?: number;
  height?: number;
}

/** `1e-5`, `1e0`, `1e3` on log axes; short numbers elsewhere. */
function formatTick(value: number, log: boolean): string {
  if (log) return value.toExponential(0).replace('+', '');
  return Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-2) ? value.toExponential(1) : String(Number(value.toPrecision(3)));
}

/** A value a log axis can show: positive and finite, otherwise a gap. */
export function plottable(value: number | undefined, log: boolean): number | null {
  if (value === undefined || !Number.isFinite(value)) return null;
  return log && value <= 0 ? null : value;
}

/** Renders a chart to a standalone SVG string with ECharts' server-side renderer (no DOM, no script). */
export function renderChartSvg(spec: ChartSpec): string {
  const width = spec.width ?? 760;
  const legendRows = Math.ceil(spec.series.length / 3);
  const height = spec.height ?? 320 + legendRows * 22;
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  const valueAxis = {
    type: spec.log ? ('log' as const) : ('value' as const),
    logBase: 10,
    axisLabel: { formatter: (v: number) => formatTick(v, spec.log) },
    splitLine: { show: true },
  };
  const horizontalBars = spec.kind === 'bar';
  const categoryAxis = { type: 'category' as const, data: spec.categories, axisLabel: { interval: 0, fontSize: 11 } };
  const xAxis = horizontalBars
    ? { ...valueAxis, name: spec.xName, nameLocation: 'middle' as const, nameGap: 28 }
    : spec.categories
      ? { ...categoryAxis, name: spec.xName, nameLocation: 'middle' as const, nameGap: 28 }
      : { type: 'value' as const, name: spec.xName, nameLocation: 'middle' as const, nameGap: 28, minInterval: 1, max: 'dataMax', axisLabel: { formatter: (v: number) => formatTick(v, false) } };
  const yAxis = horizontalBars
    ? { ...categoryAxis, name: spec.yName, inverse: true }
    : { ...valueAxis, name: spec.yName, nameLocation: 'middle' as const, nameGap: 52 };
  chart.setOption({
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: 'system-ui, sans-serif' },
    legend: { type: 'plain', top: 4, left: 'center', width: width - 40, itemWidth: 24, itemGap: 16, textStyle: { fontSize: 11 } },
    grid: { top: 20 + legendRows * 22, left: horizontalBars ? 240 : 80, right: 30, bottom: 50 },
    xAxis,
    yAxis,
    series: spec.series.map((s) => ({
      name: s.name,
      type: spec.kind,
      data: horizontalBars ? s.data.map(([category, value]) => [value, category]) : s.data,
      color: s.color,
      showSymbol: spec.kind === 'line' && s.data.length <= 60,
      symbol: s.symbol ?? 'circle',
      symbolSize: 5,
      connectNulls: false,
      lineStyle: { type: s.dash ?? 'solid', width: 2 },
    })),
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

/** One line or bar series; `null` leaves a gap (a zero or non-finite value cannot sit on a log axis). */
export interface SeriesSpec {
  name: string;
  color: string;
  dash?: 'solid' | 'dashed' | 'dotted';
  symbol?: 'circle' | 'triangle' | 'rect' | 'diamond';
  data: [number | string, number | null][];
}

/** A grid of values over two category axes (e.g. timestep × training step), coloured on a log scale. */
export interface HeatmapSpec {
  xCategories: string[];
  yCategories: string[];
  /** `[x index, y index, value]`; a `null` value (zero, underflow, non-finite) is drawn as an empty cell. */
  cells: [number, number, number | null][];
  /** Ends of the colour scale (decades on a log scale), so several heatmaps share one scale. Default: the data's. */
  range?: [number, number];
}

export interface ChartSpec {
  /** Anchor in the report, e.g. `depth-blocks-sigmoid`. */
  id: string;
  title: string;
  /** One line saying what the chart shows. */
  caption: string;
  kind: 'line' | 'bar' | 'heatmap';
  xName: string;
  yName: string;
  /** Category labels for a category axis (bars, or lines over discrete values such as T). Bars are horizontal:
   *  their series data are `[category, value]`. */
  categories?: string[];
  /** Log scale on the value axis (y for lines, x for horizontal bars, the colour scale of a heatmap). */
  log: boolean;
  series: SeriesSpec[];
  /** The cells of a `heatmap` chart (its `series` is empty). */
  heatmap?: HeatmapSpec;
  width?: number;
  height?: number;
}

/** `1e-5`, `1e0`, `1e3` on log axes; short numbers elsewhere. */
export function formatTick(value: number, log: boolean): string {
  if (log) return value.toExponential(0).replace('+', '');
  return Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-2) ? value.toExponential(1) : String(Number(value.toPrecision(3)));
}

/** A value a log axis can show: positive and finite, otherwise a gap. */
export function plottable(value: number | undefined, log: boolean): number | null {
  if (value === undefined || !Number.isFinite(value)) return null;
  return log && value <= 0 ? null : value;
}

export function chartSize(spec: ChartSpec): { width: number; height: number } {
  const width = spec.width ?? 760;
  const legendRows = spec.kind === 'heatmap' ? 0 : Math.ceil(spec.series.length / 3);
  const heatmapRows = spec.heatmap?.yCategories.length ?? 0;
  const height = spec.height ?? (spec.kind === 'heatmap' ? 110 + Math.max(8, heatmapRows) * 18 : 320 + legendRows * 22);
  return { width, height };
}

/** A heatmap's colour scale is over log10 of the values: the decades a vanishing gradient spans stay readable. */
function heatmapOption(spec: ChartSpec): Record<string, unknown> {
  const h = spec.heatmap ?? { xCategories: [], yCategories: [], cells: [] };
  const encoded = h.cells.map(([x, y, v]) => [x, y, v === null || !(v > 0) || !Number.isFinite(v) ? '-' : spec.log ? Math.log10(v) : v]);
  const values = encoded.map((c) => c[2]).filter((v): v is number => typeof v === 'number');
  const min = h.range?.[0] ?? (values.length ? Math.floor(Math.min(...values)) : 0);
  const max = h.range?.[1] ?? (values.length ? Math.ceil(Math.max(...values)) : 1);
  return {
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: 'system-ui, sans-serif' },
    grid: { top: 24, left: 80, right: 100, bottom: 50 },
    xAxis: { type: 'category', data: h.xCategories, name: spec.xName, nameLocation: 'middle', nameGap: 28, splitArea: { show: false } },
    yAxis: { type: 'category', data: h.yCategories, name: spec.yName, nameLocation: 'middle', nameGap: 56 },
    visualMap: {
      type: 'continuous',
      min,
      max: max === min ? min + 1 : max,
      calculable: false,
      orient: 'vertical',
      right: 16,
      top: 'middle',
      itemHeight: 120,
      itemWidth: 14,
      text: spec.log ? [`1e${max}`, `1e${min}`] : undefined,
      formatter: (v: number) => (spec.log ? `1e${Math.round(v)}` : formatTick(v, false)),
      inRange: { color: ['#0d0887', '#6a00a8', '#b12a90', '#e16462', '#fca636', '#f0f921'] },
    },
    series: [{ type: 'heatmap', data: encoded, progressive: 0, emphasis: { disabled: true } }],
  };
}

/**
 * The ECharts option for a chart spec. Pure data, no DOM: the HTML report renders it to SVG on the server and a
 * browser page hands it to `echarts.init(element).setOption(...)`, so both draw the same charts.
 */
export function chartOption(spec: ChartSpec): Record<string, unknown> {
  if (spec.kind === 'heatmap') return heatmapOption(spec);
  const { width } = chartSize(spec);
  const legendRows = Math.ceil(spec.series.length / 3);
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
  return {
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
  };
}

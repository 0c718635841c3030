import { ALERT_THRESHOLDS } from '@nocai/contract';
// The package's CommonJS build: its `echarts/core` entry points are ES modules only, which a CommonJS
// backend cannot require on Node 20.
import * as echarts from 'echarts';
import type { AlertCounts, ModelSection, QualityMetric, ReportRange } from './reportModel';

export interface ChartSize {
  width: number;
  height: number;
}

const WIDE: ChartSize = { width: 1000, height: 300 };

/** Grafana's classic palette, so a version's colour is the one the Model health dashboard tends to give it. */
const PALETTE = ['#7eb26d', '#eab839', '#6ed0e0', '#ef843c', '#e24d42', '#1f78c1', '#ba43a9', '#705da0'];

/** Time-axis labels on the UTC clock: a month and day at day ticks, the hour within a day. */
const TIME_LABELS = {
  year: '{yyyy}',
  month: '{MMM}',
  day: '{MM}-{dd}',
  hour: '{HH}:{mm}',
  minute: '{HH}:{mm}',
  second: '{HH}:{mm}:{ss}',
};

/** Label of each quality metric in charts and tables. */
export const METRIC_LABELS: Record<QualityMetric, string> = {
  accuracy: 'accuracy',
  f1: 'F1 (macro)',
  precision: 'precision',
  recall: 'recall',
  maeSeconds: 'MAE (s)',
};

/**
 * One chart as an SVG document, drawn by ECharts' server-side renderer (no DOM, no script in the
 * result): animation off so the first frame is the finished chart, times on the UTC clock the report
 * states, whatever the server's time zone.
 */
export function renderChart(option: echarts.EChartsOption, size: ChartSize = WIDE): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption({
      animation: false,
      useUTC: true,
      textStyle: { fontFamily: 'system-ui, sans-serif' },
      ...option,
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/**
 * Holdout and production figures of every version over the whole range, one line per (source, version):
 * accuracy with the alert floor for classifiers, MAE for regressors. Undefined without evaluations.
 */
export function qualityChart(section: ModelSection, range: ReportRange): string | undefined {
  const metric = section.chartMetric;
  const lines = new Map<string, Array<[number, number]>>();
  for (const e of section.evaluations) {
    const value = e.metrics[metric];
    if (value === undefined) continue;
    const name = `${e.source} ${e.version}`;
    const points = lines.get(name) ?? [];
    points.push([e.timeUs / 1000, value]);
    lines.set(name, points);
  }
  if (lines.size === 0) return undefined;
  const isAccuracy = metric === 'accuracy';
  // One colour per version, solid for holdout and dashed for production: the two figures of a version read together.
  const versions = [...new Set(section.evaluations.map((e) => e.version))];
  const colorOf = (version: string) => PALETTE[versions.indexOf(version) % PALETTE.length];
  const series: echarts.SeriesOption[] = [...lines].map(([name, data], i) => ({
    type: 'line',
    name,
    data,
    // Markers only where they help: a few holdout evaluations, not an hourly production line.
    showSymbol: data.length <= 30,
    symbolSize: 6,
    color: colorOf(name.slice(name.indexOf(' ') + 1)),
    lineStyle: { type: name.startsWith('production') ? 'dashed' : 'solid' },
    ...(isAccuracy && i === 0
      ? {
          markLine: {
            symbol: 'none',
            silent: true,
            label: { formatter: `alert floor ${ALERT_THRESHOLDS.modelAccuracyFloor}`, position: 'insideEndTop' },
            lineStyle: { color: '#d44a3a', type: 'dotted' },
            data: [{ yAxis: ALERT_THRESHOLDS.modelAccuracyFloor }],
          },
        }
      : {}),
  }));
  return renderChart({
    title: { text: `${section.model}: ${METRIC_LABELS[metric]}, holdout vs production`, textStyle: { fontSize: 14 } },
    legend: { type: 'plain', bottom: 0 },
    grid: { left: 60, right: 30, top: 40, bottom: 60 },
    xAxis: { type: 'time', min: range.fromMs, max: range.toMs, axisLabel: { formatter: TIME_LABELS } },
    yAxis: isAccuracy
      ? { type: 'value', min: 0, max: 1, name: 'accuracy' }
      : { type: 'value', name: METRIC_LABELS[metric] },
    series,
  });
}

/** The latest PSI of each input feature with the drift threshold; undefined without drift points. */
export function driftChart(section: ModelSection): string | undefined {
  const rows = section.drift.filter((d) => d.psi !== undefined);
  if (rows.length === 0) return undefined;
  return renderChart(
    {
      title: { text: `${section.model}: PSI per input (latest evaluation)`, textStyle: { fontSize: 14 } },
      grid: { left: 60, right: 30, top: 40, bottom: 90 },
      xAxis: { type: 'category', data: rows.map((d) => d.feature), axisLabel: { rotate: 30, interval: 0 } },
      yAxis: { type: 'value', name: 'PSI', min: 0 },
      series: [
        {
          type: 'bar',
          name: 'psi',
          data: rows.map((d) => ({ value: d.psi, itemStyle: { color: d.driftDetected ? '#d44a3a' : '#5794f2' } })),
          markLine: {
            symbol: 'none',
            silent: true,
            label: { formatter: `drift ${ALERT_THRESHOLDS.driftPsi}`, position: 'insideEndTop' },
            lineStyle: { color: '#d44a3a', type: 'dotted' },
            data: [{ yAxis: ALERT_THRESHOLDS.driftPsi }],
          },
        },
      ],
    },
    { width: 1000, height: 320 }
  );
}

/** Alerts raised and the verdicts on them, per class, as grouped bars; undefined when there are none. */
export function alertsChart(byClass: readonly AlertCounts[]): string | undefined {
  if (byClass.length === 0) return undefined;
  const bars: Array<[string, keyof AlertCounts, string]> = [
    ['raised', 'raised', '#5794f2'],
    ['validated', 'validated', '#73bf69'],
    ['invalidated', 'invalidated', '#d44a3a'],
    ['avoided', 'avoided', '#fade2a'],
  ];
  return renderChart({
    title: { text: 'Alerts raised and verdicts, per class', textStyle: { fontSize: 14 } },
    legend: { bottom: 0 },
    grid: { left: 60, right: 30, top: 40, bottom: 90 },
    xAxis: {
      type: 'category',
      data: byClass.map((c) => c.eventClass || '(none)'),
      axisLabel: { rotate: 30, interval: 0 },
    },
    yAxis: { type: 'value', name: 'tickets', minInterval: 1 },
    series: bars.map(([name, key, color]) => ({
      type: 'bar',
      name,
      itemStyle: { color },
      data: byClass.map((c) => Number(c[key] ?? 0)),
    })),
  });
}

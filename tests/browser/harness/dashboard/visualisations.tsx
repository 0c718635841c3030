/**
 * Each built-in visualisation type of the provisioned dashboards, drawn with the @grafana/ui component that
 * Grafana's own panel uses (TimeSeries, BigValue, BarGauge, Table, VizLegend), fed the way that panel feeds it.
 * Grafana's pie chart is not in @grafana/ui: it is drawn here from the same reduced values and says so.
 */
import React, { type ReactNode } from 'react';
import { css } from '@emotion/css';
import {
  type DataFrame,
  type DisplayValue,
  type FieldConfigSource,
  type FieldDisplay,
  getDisplayValueAlignmentFactors,
  getFieldDisplayValues,
  type GrafanaTheme2,
  type ReduceDataOptions,
  type TimeRange,
  type TimeZone,
  VizOrientation,
} from '@grafana/data';
import {
  BarGauge,
  BigValue,
  type BigValueColorMode,
  type BigValueGraphMode,
  type BigValueJustifyMode,
  type BigValueTextMode,
  Table,
  TimeSeries,
  VizLegend,
  VizRepeater,
} from '@grafana/ui';
import type {
  BarGaugeDisplayMode,
  BarGaugeNamePlacement,
  BarGaugeValueMode,
  LegendDisplayMode,
  LegendPlacement,
  TableCellHeight,
  TableSortByFieldState,
  VizLegendOptions,
} from '@grafana/schema';

export interface VisualisationProps {
  type: string;
  /** The panel's `options` as the dashboard JSON holds them. */
  options: Record<string, unknown>;
  /** Frames with field config applied (display processors attached). */
  frames: DataFrame[];
  fieldConfig: FieldConfigSource;
  width: number;
  height: number;
  theme: GrafanaTheme2;
  timeRange: TimeRange;
  timeZone: TimeZone;
}

export function Visualisation(props: VisualisationProps): ReactNode {
  switch (props.type) {
    case 'timeseries':
      return <TimeSeriesViz {...props} />;
    case 'stat':
      return <StatViz {...props} />;
    case 'bargauge':
      return <BarGaugeViz {...props} />;
    case 'table':
      return <TableViz {...props} />;
    case 'piechart':
      return <PieChartStandIn {...props} />;
    default:
      return <Message text={`Panel type ${props.type} is not drawn by the screenshot harness`} />;
  }
}

/** What Grafana shows in a panel whose queries returned nothing. */
export function NoData() {
  return <Message text="No data" />;
}

function Message({ text }: { text: string }) {
  return (
    <div
      className={css({
        display: 'flex',
        height: '100%',
        alignItems: 'center',
        justifyContent: 'center',
        opacity: 0.75,
      })}
    >
      {text}
    </div>
  );
}

const hasRows = (frames: readonly DataFrame[]) => frames.some((frame) => frame.length > 0);

function TimeSeriesViz({ frames, options, width, height, timeRange, timeZone }: VisualisationProps) {
  if (!hasRows(frames)) {
    return <NoData />;
  }
  const legend = { calcs: [], ...(options.legend as Partial<VizLegendOptions>) } as VizLegendOptions;
  return (
    <TimeSeries
      frames={frames}
      width={width}
      height={height}
      timeRange={timeRange}
      timeZone={timeZone}
      legend={legend}
      options={options}
    />
  );
}

function displayValues(props: VisualisationProps): FieldDisplay[] {
  return getFieldDisplayValues({
    data: props.frames,
    reduceOptions: props.options.reduceOptions as ReduceDataOptions,
    fieldConfig: props.fieldConfig,
    replaceVariables: (value) => value,
    theme: props.theme,
    timeZone: props.timeZone,
  });
}

function StatViz(props: VisualisationProps) {
  const { options, theme } = props;
  return (
    <VizRepeater<FieldDisplay, ReturnType<typeof getDisplayValueAlignmentFactors>>
      getValues={() => displayValues(props)}
      getAlignmentFactors={getDisplayValueAlignmentFactors}
      renderValue={({ value, alignmentFactors, width, height, count }) => (
        <BigValue
          value={value.display}
          count={count}
          colorMode={options.colorMode as BigValueColorMode}
          graphMode={options.graphMode as BigValueGraphMode}
          justifyMode={options.justifyMode as BigValueJustifyMode}
          textMode={options.textMode as BigValueTextMode}
          alignmentFactors={alignmentFactors}
          width={width}
          height={height}
          theme={theme}
          disableWideLayout={options.wideLayout === false}
        />
      )}
      width={props.width}
      height={props.height}
      source={props.frames}
      itemSpacing={3}
      renderCounter={0}
      autoGrid={true}
      orientation={(options.orientation as VizOrientation) ?? VizOrientation.Auto}
    />
  );
}

function BarGaugeViz(props: VisualisationProps) {
  const { options, theme } = props;
  return (
    <VizRepeater<FieldDisplay, ReturnType<typeof getDisplayValueAlignmentFactors>>
      getValues={() => displayValues(props)}
      getAlignmentFactors={getDisplayValueAlignmentFactors}
      renderValue={({ value, alignmentFactors, orientation, width, height }) => (
        <BarGauge
          value={value.display}
          field={value.field}
          display={value.view?.getFieldDisplayProcessor(value.colIndex ?? 0)}
          orientation={orientation}
          width={width}
          height={height}
          theme={theme}
          itemSpacing={8}
          displayMode={options.displayMode as BarGaugeDisplayMode}
          showUnfilled={options.showUnfilled as boolean}
          valueDisplayMode={options.valueMode as BarGaugeValueMode}
          namePlacement={options.namePlacement as BarGaugeNamePlacement}
          alignmentFactors={alignmentFactors}
          isOverflow={false}
        />
      )}
      width={props.width}
      height={props.height}
      source={props.frames}
      itemSpacing={8}
      renderCounter={0}
      orientation={(options.orientation as VizOrientation) ?? VizOrientation.Auto}
      minVizHeight={options.minVizHeight as number | undefined}
      minVizWidth={options.minVizWidth as number | undefined}
      maxVizHeight={options.maxVizHeight as number | undefined}
    />
  );
}

function TableViz({ frames, options, fieldConfig, width, height, timeRange }: VisualisationProps) {
  // Grafana's table shows the first frame (a picker offers the others); ours return one frame per panel.
  const frame = frames.find((candidate) => candidate.length > 0);
  if (!frame) {
    return <NoData />;
  }
  return (
    <Table
      data={frame}
      width={width}
      height={height}
      noHeader={options.showHeader === false}
      cellHeight={options.cellHeight as TableCellHeight | undefined}
      initialSortBy={options.sortBy as TableSortByFieldState[] | undefined}
      fieldConfig={fieldConfig}
      timeRange={timeRange}
      replaceVariables={(value) => value}
    />
  );
}

/** Share of the whole below which a slice gets no label: it would not fit. */
const MIN_LABELLED_SHARE = 0.04;

/**
 * A stand-in for Grafana's pie chart panel (not part of @grafana/ui): a donut of the values the panel would
 * reduce, in the colours the field config gives them, with percent labels and the real VizLegend beside it.
 */
function PieChartStandIn(props: VisualisationProps) {
  const { options, theme, width, height } = props;
  if (!hasRows(props.frames)) {
    return <NoData />;
  }
  const values = displayValues(props).filter((value) => (value.display.numeric ?? 0) > 0);
  const total = values.reduce((sum, value) => sum + value.display.numeric, 0);
  const legend = options.legend as { displayMode: LegendDisplayMode; placement: LegendPlacement };
  const legendWidth = legend.placement === 'right' ? Math.round(width * 0.45) : width;
  const noteHeight = 36;
  const chartWidth = legend.placement === 'right' ? width - legendWidth : width;
  const size = Math.max(0, Math.min(chartWidth, height - noteHeight) - 8);
  const radius = size / 2;
  const inner = options.pieType === 'donut' ? radius * 0.6 : 0;
  let angle = -Math.PI / 2;
  const slices = values.map((value) => {
    const share = value.display.numeric / total;
    const start = angle;
    angle += share * 2 * Math.PI;
    return { value, share, start, end: angle };
  });
  const styles = {
    layout: css({ display: 'flex', height: height - noteHeight, alignItems: 'center', gap: theme.spacing(1) }),
    note: css({
      height: noteHeight,
      fontSize: theme.typography.bodySmall.fontSize,
      color: theme.colors.text.secondary,
    }),
  };
  return (
    <div>
      <div className={styles.layout}>
        <svg width={chartWidth} height={size} role="img" aria-label="Pie chart">
          <g transform={`translate(${chartWidth / 2}, ${radius})`}>
            {slices.map(({ value, share, start, end }) =>
              share === 1 ? (
                // One value is the whole ring: a circle, with no seam where a slice would start and end.
                <circle
                  key={value.display.title ?? value.name}
                  r={(radius + inner) / 2}
                  fill="none"
                  stroke={value.display.color}
                  strokeWidth={radius - inner}
                />
              ) : (
                <path
                  key={value.display.title ?? value.name}
                  d={arcPath(radius, inner, start, end)}
                  fill={value.display.color}
                  stroke={theme.colors.background.primary}
                  strokeWidth={1}
                />
              )
            )}
            {slices
              .filter(({ share }) => share >= MIN_LABELLED_SHARE)
              .map(({ value, share, start, end }) => {
                const middle = (start + end) / 2;
                const at = (radius + inner) / 2;
                return (
                  <text
                    key={`label-${value.display.title ?? value.name}`}
                    x={Math.cos(middle) * at}
                    y={Math.sin(middle) * at}
                    textAnchor="middle"
                    dominantBaseline="middle"
                    fill={theme.colors.getContrastText(value.display.color ?? theme.colors.background.primary)}
                    fontSize={theme.typography.bodySmall.fontSize}
                  >
                    {Math.round(share * 100)}%
                  </text>
                );
              })}
          </g>
        </svg>
        <div style={{ width: legendWidth }}>
          <VizLegend
            displayMode={legend.displayMode}
            placement={legend.placement}
            readonly
            items={values.map((value) => ({
              label: value.display.title ?? value.name,
              color: value.display.color,
              yAxis: 1,
              getDisplayValues: (): DisplayValue[] => [{ ...value.display, title: 'Value' }],
            }))}
          />
        </div>
      </div>
      <div className={styles.note} data-testid="stand-in-note">
        Stand-in: Grafana&apos;s pie chart panel is not part of @grafana/ui, so the harness draws these values.
      </div>
    </div>
  );
}

/**
 * An annulus sector from `start` to `end` (radians, clockwise from the x axis, less than a full turn); `inner` 0
 * draws a pie slice.
 */
function arcPath(outer: number, inner: number, start: number, end: number): string {
  const sweep = end - start;
  const stop = end;
  const large = sweep > Math.PI ? 1 : 0;
  const point = (radius: number, angle: number) => `${Math.cos(angle) * radius} ${Math.sin(angle) * radius}`;
  return [
    `M ${point(outer, start)}`,
    `A ${outer} ${outer} 0 ${large} 1 ${point(outer, stop)}`,
    inner > 0 ? `L ${point(inner, stop)}` : 'L 0 0',
    inner > 0 ? `A ${inner} ${inner} 0 ${large} 0 ${point(inner, start)}` : '',
    'Z',
  ].join(' ');
}

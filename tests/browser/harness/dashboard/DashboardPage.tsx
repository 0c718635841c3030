/**
 * A provisioned dashboard (dashboards/<name>.json) as Grafana lays it out: the grid from each panel's gridPos,
 * @grafana/ui's PanelChrome with the panel's title and description, rows as headers. Each panel's queries run
 * as Grafana would run them: InfluxQL targets with macros and variables replaced, through the stand-in data
 * source proxy to the test influxd; NOC AI targets through the real NOC AI data source to the real backend.
 */
import React, { useEffect, useState } from 'react';
import { css } from '@emotion/css';
import {
  createDataFrame,
  type DataFrame,
  type DataQueryError,
  type DataQueryRequest,
  type FieldType,
  type GrafanaTheme2,
  LoadingState,
  type PanelData,
  type PanelProps,
  rangeUtil,
  type ScopedVars,
  type TimeRange,
  type TimeZone,
} from '@grafana/data';
import { Icon, InlineLabel, PanelChrome } from '@grafana/ui';

import type { NocaiDataSource } from '../../../../datasource-plugin/src/datasource';
import type { NocaiQuery } from '../../../../datasource-plugin/src/types';
import { TriagePanel } from '../../../../panel-plugin/src/components/TriagePanel';
import { DEFAULT_TRIAGE_OPTIONS, type TriageOptions } from '../../../../panel-plugin/src/types';
import { INFLUX_PROXY_PREFIX } from '../constants';
import { applyPanelFieldConfig, panelFieldConfig } from './fieldConfig';
import {
  ALL_VALUE,
  type FrameSpec,
  type InfluxSeries,
  influxSeriesToFrames,
  interpolateInfluxQl,
  replaceVariables,
  variableQueryValue,
} from './influxql';
import {
  type DashboardJson,
  gridHeight,
  type PanelBox,
  type PanelJson,
  panelBox,
  selectedValues,
  type VariableJson,
} from './model';
import { Visualisation } from './visualisations';

/** The provisioned InfluxDB data sources' `timeInterval` (provisioning/datasources/nocai.yaml): the lowest `$__interval`. */
const DATASOURCE_TIME_INTERVAL = '10s';
const TRIAGE_PANEL_TYPE = 'nocai-triage-panel';
const NOCAI_DATASOURCE_TYPE = 'nocai-inference-datasource';

interface LoadedPanel {
  panel: PanelJson;
  box: PanelBox;
  /** Absent on rows. */
  data?: PanelData;
}

interface ResolvedVariable {
  variable: VariableJson;
  /** What the picker shows and panel titles use, e.g. `All`. */
  text: string;
  /** What queries use (see `variableQueryValue`). */
  queryValue: string;
  /** The values chosen, or `$__all`. */
  selected: string[];
}

interface LoadedDashboard {
  dashboard: DashboardJson;
  timeZone: TimeZone;
  range: TimeRange;
  variables: ResolvedVariable[];
  panels: LoadedPanel[];
}

interface Props {
  name: string;
  theme: GrafanaTheme2;
  datasource: NocaiDataSource;
  width: number;
}

export function DashboardPage({ name, theme, datasource, width }: Props) {
  const [loaded, setLoaded] = useState<LoadedDashboard | undefined>();
  useEffect(() => {
    loadDashboard(name, datasource, width).then(setLoaded, (error: unknown) => {
      document.body.dataset.harnessError = String(error);
    });
  }, [name, datasource, width]);
  useEffect(() => {
    if (loaded) {
      document.body.dataset.harnessReady = 'true';
    }
  }, [loaded]);

  if (!loaded) {
    return null;
  }
  const styles = getStyles(theme);
  const { dashboard, panels, range, timeZone, variables } = loaded;
  // Panel titles show variables as their text (`Anomaly band: cpu.usage_idle`), as Grafana's panel headers do.
  const titleValues = Object.fromEntries(variables.map(({ variable, text }) => [variable.name, text]));
  return (
    <div style={{ width }}>
      <header className={styles.header}>
        <div className={styles.titleLine}>
          <span className={styles.breadcrumb}>Dashboards › NOC AI ›</span>
          <h1 className={styles.title}>{dashboard.title}</h1>
          <span className={styles.range}>
            <Icon name="clock-nine" /> {rangeUtil.describeTimeRange(dashboard.time, timeZone)}
          </span>
        </div>
        <div className={styles.variables}>
          {variables
            .filter(({ variable }) => variable.hide !== 2)
            .map(({ variable, text }) => (
              <span key={variable.name} className={styles.variable}>
                <InlineLabel width="auto">{variable.label ?? variable.name}</InlineLabel>
                <span className={styles.variableValue}>{text}</span>
              </span>
            ))}
          <span className={styles.harnessNote}>
            Screenshot harness, not a Grafana server: @grafana/ui panels on the demo scenario&apos;s data
          </span>
        </div>
      </header>
      <div className={styles.grid} style={{ height: gridHeight(dashboard.panels, width) }}>
        {panels.map(({ panel, box, data }) => (
          <div key={panel.id} className={styles.cell} style={box} data-panel-title={panel.title}>
            {data === undefined ? (
              <h2 className={styles.row}>
                <Icon name="angle-down" /> {replaceVariables(panel.title, titleValues)}
              </h2>
            ) : (
              <PanelChrome
                width={box.width}
                height={box.height}
                title={replaceVariables(panel.title, titleValues)}
                description={panel.description}
                statusMessage={data.errors?.map((error) => error.message).join('; ') || undefined}
              >
                {(innerWidth, innerHeight) => (
                  <PanelBody
                    panel={panel}
                    data={data}
                    width={innerWidth}
                    height={innerHeight}
                    theme={theme}
                    range={range}
                    timeZone={timeZone}
                  />
                )}
              </PanelChrome>
            )}
          </div>
        ))}
      </div>
    </div>
  );
}

interface BodyProps {
  panel: PanelJson;
  data: PanelData;
  width: number;
  height: number;
  theme: GrafanaTheme2;
  range: TimeRange;
  timeZone: TimeZone;
}

function PanelBody({ panel, data, width, height, theme, range, timeZone }: BodyProps) {
  if (panel.type === TRIAGE_PANEL_TYPE) {
    const props = {
      id: panel.id,
      data,
      timeRange: range,
      timeZone,
      options: { ...DEFAULT_TRIAGE_OPTIONS, ...panel.options } as TriageOptions,
      transparent: false,
      width,
      height,
      fieldConfig: panel.fieldConfig ?? { defaults: {}, overrides: [] },
      renderCounter: 0,
      title: panel.title,
      eventBus: undefined,
      onOptionsChange: () => undefined,
      onFieldConfigChange: () => undefined,
      replaceVariables: (value: string) => value,
      onChangeTimeRange: () => undefined,
    } as unknown as PanelProps<TriageOptions>;
    return <TriagePanel {...props} />;
  }
  const fieldConfig = panelFieldConfig(panel);
  return (
    <Visualisation
      type={panel.type}
      options={panel.options ?? {}}
      frames={applyPanelFieldConfig(data.series, fieldConfig, theme, timeZone)}
      fieldConfig={fieldConfig}
      width={width}
      height={height}
      theme={theme}
      timeRange={range}
      timeZone={timeZone}
    />
  );
}

async function loadDashboard(name: string, datasource: NocaiDataSource, width: number): Promise<LoadedDashboard> {
  const response = await fetch(`/dashboards/${encodeURIComponent(name)}.json`);
  if (!response.ok) {
    throw new Error(`dashboard ${name}: HTTP ${response.status}`);
  }
  const dashboard = (await response.json()) as DashboardJson & { timezone?: TimeZone };
  const timeZone = dashboard.timezone || 'browser';
  const range = rangeUtil.convertRawToRange(dashboard.time, timeZone);
  const resolved = await resolveVariables(dashboard.templating?.list ?? [], range, datasource);
  const variables = Object.fromEntries(resolved.map(({ variable, queryValue }) => [variable.name, queryValue]));
  const scopedVars = scopedVarsOf(resolved);
  const panels = await Promise.all(
    dashboard.panels.map(async (panel): Promise<LoadedPanel> => {
      const box = panelBox(panel.gridPos, width);
      if (panel.type === 'row') {
        return { panel, box };
      }
      return {
        panel,
        box,
        data: await queryPanel(panel, box, { range, timeZone, variables, scopedVars, datasource }),
      };
    })
  );
  return { dashboard, timeZone, range, variables: resolved, panels };
}

/**
 * The variables as Grafana resolves them on load, in order (a query may use the ones before it): a query
 * variable's options come from its statement (run on InfluxDB, or the NOC AI data source's `metricFindQuery`); a selection the JSON does not make, or that names no option,
 * falls back to All when the variable has it, else to the first option.
 */
async function resolveVariables(
  list: readonly VariableJson[],
  range: TimeRange,
  datasource: NocaiDataSource
): Promise<ResolvedVariable[]> {
  const resolved: ResolvedVariable[] = [];
  const values: Record<string, string> = {};
  for (const variable of list) {
    const options =
      variable.type !== 'query' || !variable.query
        ? (variable.options ?? []).map((option) => option.value)
        : variable.datasource?.type === NOCAI_DATASOURCE_TYPE
          ? (await datasource.metricFindQuery(variable.query, { scopedVars: scopedVarsOf(resolved) })).map((option) =>
              String(option.value)
            )
          : await variableOptions(variable, variable.query, range, values);
    let selected = selectedValues(variable);
    const valid = selected.includes(ALL_VALUE)
      ? variable.includeAll === true
      : selected.every((value) => options.includes(value));
    if (selected.length === 0 || !valid) {
      selected = variable.includeAll ? [ALL_VALUE] : options.slice(0, 1);
    }
    const queryValue = variableQueryValue({ ...variable, selected, options });
    values[variable.name] = queryValue;
    resolved.push({
      variable,
      queryValue,
      selected,
      text: selected.includes(ALL_VALUE) ? 'All' : selected.join(' + '),
    });
  }
  return resolved;
}

/** The NOC AI data source interpolates through Grafana's template service: the harness's reads these. */
function scopedVarsOf(resolved: readonly ResolvedVariable[]): ScopedVars {
  return Object.fromEntries(
    resolved.map(({ variable, selected, text }) => [
      variable.name,
      { text, value: selected.includes(ALL_VALUE) ? ALL_VALUE : selected },
    ])
  );
}

/** The options a query variable lists: the last column of each row (`SHOW TAG VALUES` answers key, value). */
async function variableOptions(
  variable: VariableJson,
  query: string,
  range: TimeRange,
  values: Record<string, string>
): Promise<string[]> {
  const statement = interpolateInfluxQl(query, {
    fromMs: range.from.valueOf(),
    toMs: range.to.valueOf(),
    interval: DATASOURCE_TIME_INTERVAL,
    intervalMs: rangeUtil.intervalToMs(DATASOURCE_TIME_INTERVAL),
    variables: values,
  });
  const answer = await runInfluxQl(variable.datasource?.uid ?? '', statement);
  if ('error' in answer) {
    return [];
  }
  const options = [
    ...new Set(answer.series.flatMap((series) => series.values.map((row) => String(row[row.length - 1])))),
  ];
  if (variable.sort === 1 || variable.sort === 2) {
    options.sort();
    if (variable.sort === 2) {
      options.reverse();
    }
  }
  return options;
}

interface QueryContext {
  range: TimeRange;
  timeZone: TimeZone;
  variables: Record<string, string>;
  scopedVars: ScopedVars;
  datasource: NocaiDataSource;
}

/** The panel's targets, run as Grafana runs them; failures become the panel's errors, as in Grafana. */
async function queryPanel(panel: PanelJson, box: PanelBox, context: QueryContext): Promise<PanelData> {
  const { range } = context;
  // Grafana asks for about one point per pixel, never finer than the data source's (or panel's) interval.
  const { interval, intervalMs } = rangeUtil.calculateInterval(
    range,
    panel.maxDataPoints ?? box.width,
    panel.interval ?? DATASOURCE_TIME_INTERVAL
  );
  const targets = (panel.targets ?? []).filter((target) => !target.hide);
  let series: DataFrame[] = [];
  const errors: DataQueryError[] = [];
  if (panel.datasource?.type === NOCAI_DATASOURCE_TYPE) {
    const request = {
      requestId: `panel-${panel.id}`,
      targets,
      range,
      timezone: context.timeZone,
      interval,
      intervalMs,
      maxDataPoints: box.width,
      scopedVars: context.scopedVars,
      app: 'dashboard',
      startTime: Date.now(),
    } as unknown as DataQueryRequest<NocaiQuery>;
    const response = await context.datasource.query(request);
    series = response.data as DataFrame[];
    errors.push(...(response.errors ?? []));
  } else {
    const uid = panel.datasource?.uid ?? '';
    const answers = await Promise.all(
      targets.map(async (target) => {
        const query = interpolateInfluxQl(target.query ?? '', {
          fromMs: range.from.valueOf(),
          toMs: range.to.valueOf(),
          interval,
          intervalMs,
          variables: context.variables,
        });
        return { target, answer: await runInfluxQl(uid, query) };
      })
    );
    for (const { target, answer } of answers) {
      if ('error' in answer) {
        errors.push({ refId: target.refId, message: answer.error });
      } else {
        series.push(...influxSeriesToFrames(answer.series, target).map(toDataFrame));
      }
    }
  }
  return { series, errors, state: errors.length > 0 ? LoadingState.Error : LoadingState.Done, timeRange: range };
}

/** One InfluxQL statement through the stand-in data source proxy; InfluxDB's own error text when it refuses. */
async function runInfluxQl(uid: string, query: string): Promise<{ series: InfluxSeries[] } | { error: string }> {
  const params = new URLSearchParams({ q: query, epoch: 'ms' });
  const response = await fetch(`${INFLUX_PROXY_PREFIX}/${encodeURIComponent(uid)}/query?${params}`);
  const body = (await response.json().catch(() => ({}))) as {
    error?: string;
    results?: Array<{ error?: string; series?: InfluxSeries[] }>;
  };
  const error = body.error ?? body.results?.[0]?.error ?? (response.ok ? undefined : `HTTP ${response.status}`);
  return error === undefined ? { series: body.results?.[0]?.series ?? [] } : { error };
}

function toDataFrame(spec: FrameSpec): DataFrame {
  return createDataFrame({
    ...spec,
    fields: spec.fields.map((field) => ({ ...field, type: field.type as FieldType })),
  });
}

const getStyles = (theme: GrafanaTheme2) => ({
  header: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(1),
    marginBottom: theme.spacing(2),
  }),
  titleLine: css({
    display: 'flex',
    alignItems: 'baseline',
    gap: theme.spacing(1),
  }),
  breadcrumb: css({
    color: theme.colors.text.secondary,
  }),
  title: css({
    fontSize: theme.typography.h4.fontSize,
    margin: 0,
    flex: 1,
  }),
  range: css({
    color: theme.colors.text.primary,
    border: `1px solid ${theme.colors.border.medium}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(0.5, 1),
  }),
  variables: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
  }),
  variable: css({
    display: 'inline-flex',
    alignItems: 'stretch',
  }),
  variableValue: css({
    display: 'inline-flex',
    alignItems: 'center',
    padding: theme.spacing(0, 1),
    minWidth: 64,
    border: `1px solid ${theme.components.input.borderColor}`,
    background: theme.components.input.background,
    borderRadius: theme.shape.radius.default,
  }),
  harnessNote: css({
    marginLeft: 'auto',
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  grid: css({
    position: 'relative',
  }),
  cell: css({
    position: 'absolute',
  }),
  row: css({
    fontSize: theme.typography.h5.fontSize,
    margin: 0,
    lineHeight: '30px',
  }),
});

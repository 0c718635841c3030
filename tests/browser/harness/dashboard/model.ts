/**
 * The parts of a provisioned dashboard JSON (dashboards/*.json) the screenshot harness reads, and Grafana's
 * grid: 24 columns, rows of 30 px, 8 px between panels (react-grid-layout as Grafana configures it).
 */
import type { FieldConfigSource } from '@grafana/data';

import type { InfluxTarget } from './influxql';

export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface PanelJson {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: GridPos;
  datasource?: DatasourceRef;
  targets?: Array<InfluxTarget & { datasource?: DatasourceRef; queryType?: string; limit?: number }>;
  fieldConfig?: FieldConfigSource;
  options?: Record<string, unknown>;
  /** Lowest `$__interval` for this panel, e.g. `1h`; the data source's `timeInterval` otherwise. */
  interval?: string;
  maxDataPoints?: number;
}

export interface VariableJson {
  name: string;
  label?: string;
  type: string;
  datasource?: DatasourceRef;
  /** For query variables: the statement that lists the options, e.g. `SHOW TAG VALUES … WITH KEY = "site"`. */
  query?: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  /** 0 as returned, 1 alphabetical, 2 alphabetical descending (Grafana's sort codes). */
  sort?: number;
  current?: { text?: string | string[]; value?: string | string[] };
  options?: Array<{ value: string }>;
  /** 2: not shown on the dashboard. */
  hide?: number;
}

export interface DashboardJson {
  uid: string;
  title: string;
  description?: string;
  time: { from: string; to: string };
  templating?: { list: VariableJson[] };
  panels: PanelJson[];
}

export const GRID_COLUMNS = 24;
export const GRID_CELL_HEIGHT = 30;
export const GRID_MARGIN = 8;

export interface PanelBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Where react-grid-layout puts a panel in a dashboard `containerWidth` pixels wide. */
export function panelBox({ x, y, w, h }: GridPos, containerWidth: number): PanelBox {
  const columnWidth = (containerWidth - GRID_MARGIN * (GRID_COLUMNS - 1)) / GRID_COLUMNS;
  return {
    left: Math.round((columnWidth + GRID_MARGIN) * x),
    top: Math.round((GRID_CELL_HEIGHT + GRID_MARGIN) * y),
    width: Math.round(columnWidth * w + Math.max(0, w - 1) * GRID_MARGIN),
    height: Math.round(GRID_CELL_HEIGHT * h + Math.max(0, h - 1) * GRID_MARGIN),
  };
}

/** Height of the whole grid: down to the bottom of the lowest panel. */
export function gridHeight(panels: readonly PanelJson[], containerWidth: number): number {
  return Math.max(
    0,
    ...panels.map((panel) => {
      const box = panelBox(panel.gridPos, containerWidth);
      return box.top + box.height;
    })
  );
}

/** A variable's values as selected in the JSON (`$__all` for All); empty when the JSON selects nothing. */
export function selectedValues(variable: VariableJson): string[] {
  const value = variable.current?.value ?? [];
  return (Array.isArray(value) ? value : [value]).filter((one) => one !== '');
}

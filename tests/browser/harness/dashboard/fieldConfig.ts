/**
 * Field configuration as Grafana applies it before a panel renders: the visualisation's own defaults under
 * the dashboard's, then the overrides, then display processors (units, decimals, colours, thresholds). Grafana
 * fills the registry of field options at startup from its core; the harness registers the options the
 * provisioned dashboards use, with the processors @grafana/data exports.
 */
import {
  applyFieldOverrides,
  type DataFrame,
  displayNameOverrideProcessor,
  type FieldConfigPropertyItem,
  FieldConfigOptionsRegistry,
  type FieldConfigSource,
  type GrafanaTheme2,
  identityOverrideProcessor,
  numberOverrideProcessor,
  thresholdsOverrideProcessor,
  type ThresholdsConfig,
  type TimeZone,
} from '@grafana/data';
import { merge } from 'lodash';

import type { PanelJson } from './model';

/** The time series panel's defaults for what a dashboard leaves unset (Grafana's `defaultGraphConfig` and options). */
const TIME_SERIES_CUSTOM = {
  drawStyle: 'line',
  lineInterpolation: 'linear',
  lineWidth: 1,
  fillOpacity: 0,
  gradientMode: 'none',
  showPoints: 'auto',
  pointSize: 5,
  spanNulls: false,
  insertNulls: false,
  barAlignment: 0,
  barWidthFactor: 0.6,
  stacking: { mode: 'none', group: 'A' },
  axisPlacement: 'auto',
  axisLabel: '',
  axisColorMode: 'text',
  axisBorderShow: false,
  axisCenteredZero: false,
  axisGridShow: true,
  scaleDistribution: { type: 'linear' },
  hideFrom: { legend: false, tooltip: false, viz: false },
  thresholdsStyle: { mode: 'off' },
};

const TABLE_CUSTOM = { align: 'auto', cellOptions: { type: 'auto' }, inspect: false };

const PLUGIN_DEFAULTS: Record<string, FieldConfigSource['defaults']> = {
  timeseries: { custom: TIME_SERIES_CUSTOM, color: { mode: 'palette-classic' } },
  table: { custom: TABLE_CUSTOM },
  stat: { color: { mode: 'thresholds' } },
  bargauge: { color: { mode: 'thresholds' } },
  piechart: { color: { mode: 'palette-classic' } },
};

const STANDARD_OPTIONS: Record<string, FieldConfigPropertyItem['process']> = {
  unit: identityOverrideProcessor,
  min: numberOverrideProcessor,
  max: numberOverrideProcessor,
  decimals: numberOverrideProcessor,
  displayName: displayNameOverrideProcessor,
  noValue: identityOverrideProcessor,
  color: identityOverrideProcessor,
  thresholds: thresholdsOverrideProcessor,
  mappings: identityOverrideProcessor,
};

/** The panel's field config with the visualisation's defaults under it, thresholds restored as Grafana loads them. */
export function panelFieldConfig(panel: PanelJson): FieldConfigSource {
  const source: FieldConfigSource = merge(
    { defaults: {}, overrides: [] },
    { defaults: PLUGIN_DEFAULTS[panel.type] ?? {} },
    panel.fieldConfig ?? {}
  );
  restoreThresholds(source.defaults.thresholds);
  for (const override of source.overrides) {
    for (const property of override.properties) {
      if (property.id === 'thresholds') {
        restoreThresholds(property.value);
      }
    }
  }
  return source;
}

/** The base step of a threshold list is saved as `null` (JSON has no -Infinity); Grafana reads it back as -Infinity. */
function restoreThresholds(thresholds: ThresholdsConfig | undefined) {
  for (const step of thresholds?.steps ?? []) {
    if (step.value === null) {
      step.value = -Infinity;
    }
  }
}

/** An options registry holding the standard options and every custom option the config names. */
function registryFor(source: FieldConfigSource): FieldConfigOptionsRegistry {
  const customIds = new Set([
    ...Object.keys(source.defaults.custom ?? {}).map((key) => `custom.${key}`),
    ...source.overrides.flatMap((override) => override.properties.map((property) => property.id)),
  ]);
  const item = (id: string, process: FieldConfigPropertyItem['process']): FieldConfigPropertyItem => {
    const isCustom = id.startsWith('custom.');
    return {
      id,
      name: id,
      path: isCustom ? id.slice('custom.'.length) : id,
      isCustom,
      process,
      shouldApply: () => true,
      // Editors are for Grafana's options pane; nothing edits options here.
      editor: () => null,
      override: () => null,
    };
  };
  return new FieldConfigOptionsRegistry(() => [
    ...Object.entries(STANDARD_OPTIONS).map(([id, process]) => item(id, process)),
    ...[...customIds].filter((id) => id.startsWith('custom.')).map((id) => item(id, identityOverrideProcessor)),
  ]);
}

/** The frames as a Grafana panel receives them: defaults and overrides applied, display processors attached. */
export function applyPanelFieldConfig(
  frames: DataFrame[],
  source: FieldConfigSource,
  theme: GrafanaTheme2,
  timeZone: TimeZone
): DataFrame[] {
  return applyFieldOverrides({
    data: frames,
    fieldConfig: source,
    fieldConfigRegistry: registryFor(source),
    replaceVariables: (value) => value,
    theme,
    timeZone,
  });
}

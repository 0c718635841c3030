import { ALERT_THRESHOLDS, INPUT, MAINTENANCE_SERIES, type Inventory } from '@nocai/contract';
import type { TabularOutputs } from '../adapters/onnx/tabularModel';
import type { FeatureMatrix } from '../domain/mlops/gbt';
import { buildFeatures, type Row } from '../domain/mlops/tabularFeatures';
import { positiveLabelIndex } from '../domain/mlops/tabularModel';
import type { TabularManifest } from '../domain/mlops/tabularModel';
import type { ShapExplanation } from '../domain/mlops/treeShap';
import type { Clock, PointSink, SeriesPoint } from '../domain/series';
import type { StateStore } from '../domain/state';
import type { MaintenanceAlarmRecord } from '../domain/timeseries/maintenanceEvidence';

/** One device's sensor means per bucket, oldest first; a field without samples in a bucket is undefined. */
export interface SensorBuckets {
  host: string;
  deviceKind: string;
  buckets: { startMs: number; values: Record<string, number | undefined> }[];
}

export interface SensorBucketReader {
  /** Buckets starting in [fromMs, toMs). */
  read(fromMs: number, toMs: number): Promise<SensorBuckets[]>;
}

/**
 * The served remaining-life model: a tabular regressor (prediction, P10, P90 in hours) over the
 * same device rows as the failure model, trained on a target capped at `capHours`.
 */
export interface RemainingLifeModel {
  manifest: TabularManifest;
  run(matrix: FeatureMatrix): Promise<TabularOutputs>;
  capHours: number;
}

/**
 * The served failure model: a tabular classifier over rolling features of the sensor columns;
 * with it, when trained, the remaining-life model (it reads a subset of the same columns).
 */
export interface MaintenanceModel {
  manifest: TabularManifest;
  run(matrix: FeatureMatrix): Promise<TabularOutputs>;
  remainingLife?: RemainingLifeModel;
  /**
   * Exact SHAP values of one feature row for the log-odds of failure (`treeShap`/`linearShap`);
   * without it the top factor is found by occlusion.
   */
  explain?(features: ArrayLike<number>): ShapExplanation;
}

/** A sensor's share of a prediction: its last value and its summed SHAP contribution (log-odds). */
export interface MaintenanceFactor {
  feature: string;
  /** The sensor's mean in the explained bucket; absent when it had no samples. */
  value?: number;
  weight: number;
}

/** Factors listed per point at most, largest |contribution| first. */
export const MAINTENANCE_FACTORS = 3;

/** Remaining life in hours of one row: clamped to [0, cap], so P10 ≤ value ≤ P90 still holds. */
interface RemainingLife {
  hours: number;
  p10: number;
  p90: number;
}

export interface MaintenanceStageOptions {
  /** Bucket length of the model's rows (its training rows are 10-minute means). */
  bucketMs: number;
  /** Rows of history a prediction needs (the model's longest window). */
  historyRows: number;
  /** The model's horizon, written with every point. */
  horizonHours: number;
  /** Device kinds the model was trained for (it has seen no other's sensors fail). */
  deviceKinds: readonly string[];
  /** A bucket is evaluated this long after it ends (late samples). */
  settleMs: number;
  /** At first start, devices are evaluated from this long before now. */
  startLookbackMs: number;
  /** Buckets evaluated per tick at most, while catching up. */
  batchBuckets: number;
  /** Points with a risk at least this get a top factor (occlusion, without SHAP, costs a model run per sensor). */
  factorFloor: number;
  /** While the risk stays over the threshold, an alarm again this often. */
  alarmRepeatMs: number;
}

export const DEFAULT_MAINTENANCE_STAGE_OPTIONS: MaintenanceStageOptions = {
  bucketMs: 600_000,
  historyRows: 144,
  horizonHours: 24,
  deviceKinds: ['plc'],
  settleMs: 120_000,
  startLookbackMs: 0,
  batchBuckets: 36,
  factorFloor: 0.2,
  alarmRepeatMs: 3_600_000,
};

export const MAINTENANCE_STAGE_STATE_KEY = 'maintenance-stage';

interface MaintenanceStageState {
  /** Buckets ending at or before this (ms) are evaluated and written. */
  evaluatedUntilMs: number;
  /** Per host, the time (ms) of its last alarm while its risk stays high. */
  alarmed: Record<string, number>;
}

export interface MaintenanceBatchInfo {
  devices: number;
  points: number;
  alarms: number;
  evaluatedUntilMs: number;
  seconds: number;
}

export interface MaintenanceStageHooks {
  onBatch?(info: MaintenanceBatchInfo): void;
  onAlarms?(alarms: MaintenanceAlarmRecord[]): void;
}

const M = MAINTENANCE_SERIES;
const SENSORS = INPUT.sensors.measurement;

/**
 * Writes aiops_maintenance: for every device of the configured kinds, at the end of each sensor
 * bucket, the model's probability that it fails within the horizon and the sensor that raised
 * that probability most. Exactly once like the other stages: a tick evaluates the buckets after
 * the saved mark, writes and flushes their points (same host and time on a replay, so a repeat
 * overwrites), and only then saves the mark with the alarm state.
 *
 * The top factor is the sensor whose features add most to the log-odds of failure by exact SHAP
 * values (`treeShap`, summed over the sensor's window features), written with the next ones, their
 * values and contributions in `top_factors`. A model without an explainer falls back to
 * occlusion: the device's last window with one sensor replaced by its
 * own values of the window before (the same times of day, so its daily rhythm stays and only what
 * changed since goes; held flat where that history is missing), run through the same model; the
 * sensor whose replacement lowers the risk most is the factor. With a remaining-life model, every
 * point also carries its expected hours to a halt and their P10–P90 (capped like its training
 * target). A risk crossing `ALERT_THRESHOLDS.maintenanceRisk` is an alarm (and again every
 * `alarmRepeatMs` while it stays above half of it): the incident engine opens a maintenance ticket
 * from it.
 */
export class MaintenanceStage {
  private state: MaintenanceStageState | undefined;
  private readonly columns: string[];
  private positive: number;
  /** The serving model (and its remaining-life companion); replaced by `useModel` after a promotion. */
  private model: MaintenanceModel;
  private readonly siteOf: Map<string, string>;

  constructor(
    private readonly deps: {
      source: SensorBucketReader;
      model: MaintenanceModel;
      sink: PointSink;
      store: StateStore;
      clock: Clock;
      inventory?: Inventory;
      options: MaintenanceStageOptions;
      hooks?: MaintenanceStageHooks;
    }
  ) {
    this.model = deps.model;
    const { columns, positive } = MaintenanceStage.check(deps.model);
    this.columns = columns;
    this.positive = positive;
    this.siteOf = new Map((deps.inventory?.devices ?? []).map((d) => [d.host, d.site]));
  }

  /** The sensor columns a model reads and the index of its failure label; an error when it cannot serve here. */
  private static check(model: MaintenanceModel): { columns: string[]; positive: number } {
    const { manifest } = model;
    const features = manifest.features;
    if (!features.group || !features.order) {
      throw new Error(`maintenance model ${manifest.name} has no group and order columns: it needs a device's history`);
    }
    const columns = features.numeric.map((n) => n.column);
    const life = model.remainingLife?.manifest.features;
    if (life && (life.group !== features.group || life.numeric.some((n) => !columns.includes(n.column)))) {
      throw new Error(
        `remaining-life model ${model.remainingLife?.manifest.name} reads other rows than ${manifest.name}`
      );
    }
    const positive = positiveLabelIndex(manifest);
    return { columns, positive };
  }

  /**
   * Serves `model` from the next batch on (a promoted challenger, a rollback), without a restart. It
   * must read the sensor columns the stage reads; another column set is refused with the reason.
   */
  useModel(model: MaintenanceModel): void {
    const { columns, positive } = MaintenanceStage.check(model);
    if (columns.length !== this.columns.length || columns.some((c, i) => c !== this.columns[i])) {
      throw new Error(
        `${model.manifest.name} ${model.manifest.version} reads ${columns.join(', ')}, not the stage's ` +
          `${this.columns.join(', ')}: restart the backend to serve it`
      );
    }
    this.model = model;
    this.positive = positive;
  }

  get evaluatedUntilMs(): number | undefined {
    return this.state?.evaluatedUntilMs;
  }

  /** Evaluates at most `batchBuckets` buckets; returns 1 when more complete buckets wait, else 0. */
  async tick(): Promise<number> {
    const started = process.hrtime.bigint();
    const { options, clock, source, sink, store } = this.deps;
    const committed = await this.loadState();
    const bucket = options.bucketMs;
    const limitMs = Math.floor((clock.nowMs() - options.settleMs) / bucket) * bucket;
    if (limitMs <= committed.evaluatedUntilMs) return 0;
    const upperMs = Math.min(limitMs, committed.evaluatedUntilMs + options.batchBuckets * bucket);
    // Buckets ending in (evaluatedUntil, upper], plus the history their windows need.
    const firstStartMs = committed.evaluatedUntilMs;
    // Two windows back: the top factor compares the last day with the day before.
    const series = (await source.read(firstStartMs - 2 * options.historyRows * bucket, upperMs)).filter((s) =>
      options.deviceKinds.includes(s.deviceKind)
    );

    const rows: Row[] = [];
    const owners: { host: string; deviceKind: string; endMs: number; index: number }[] = [];
    for (const s of series) {
      const first = rows.length;
      s.buckets.forEach((b) => rows.push(this.row(s.host, b.startMs, b.values)));
      const sinceMs = s.buckets[0]?.startMs ?? 0;
      s.buckets.forEach((b, k) => {
        // A device with less than the model's history so far (new, or at first start) is not
        // judged yet: its windows would be short, unlike any the model learned from.
        if (b.startMs < firstStartMs || b.startMs - sinceMs < (options.historyRows - 1) * bucket) return;
        owners.push({ host: s.host, deviceKind: s.deviceKind, endMs: b.startMs + bucket, index: first + k });
      });
    }
    const matrix = rows.length > 0 ? buildFeatures(this.model.manifest.features, rows) : undefined;
    const probabilities = matrix ? await this.riskOf(matrix) : new Float64Array(0);
    const remaining = rows.length > 0 ? await this.remainingLife(rows) : undefined;
    const flagged = owners.filter((o) => probabilities[o.index] >= options.factorFloor).map((o) => o.index);
    const explain = this.model.explain?.bind(this.model);
    const shapFactors = matrix && explain ? this.shapFactors(rows, matrix, flagged, explain) : undefined;
    const factors = shapFactors
      ? new Map([...shapFactors].flatMap(([row, list]) => ((list[0]?.weight ?? 0) > 0 ? [[row, list[0].feature]] : [])))
      : await this.topFactors(rows, flagged, probabilities);

    const alarmed = { ...committed.alarmed };
    const points: SeriesPoint[] = [];
    const alarms: MaintenanceAlarmRecord[] = [];
    const threshold = ALERT_THRESHOLDS.maintenanceRisk;
    owners.sort((a, b) => a.endMs - b.endMs || (a.host < b.host ? -1 : 1));
    for (const o of owners) {
      const p = probabilities[o.index];
      const factor = factors.get(o.index);
      const explained = shapFactors?.get(o.index);
      const life = remaining?.[o.index];
      const last = alarmed[o.host];
      let alarm = false;
      if (p >= threshold && (last === undefined || o.endMs - last >= options.alarmRepeatMs)) {
        alarm = true;
        alarmed[o.host] = o.endMs;
      } else if (last !== undefined && p < threshold / 2) {
        delete alarmed[o.host];
      }
      points.push({
        measurement: M.measurement,
        tags: {
          [M.tags.host]: o.host,
          [M.tags.site]: this.siteOf.get(o.host) ?? '',
          [M.tags.deviceKind]: o.deviceKind,
        },
        fields: {
          [M.fields.failureProbability]: Math.round(p * 1e4) / 1e4,
          [M.fields.horizonHours]: options.horizonHours,
          [M.fields.modelVersion]: `${this.model.manifest.name}@${this.model.manifest.version}`,
          [M.fields.alarm]: alarm,
          ...(factor ? { [M.fields.topFactor]: factor } : {}),
          ...(explained ? { [M.fields.topFactors]: JSON.stringify(explained) } : {}),
          ...(life
            ? {
                [M.fields.remainingLifeHours]: life.hours,
                [M.fields.remainingLifeP10Hours]: life.p10,
                [M.fields.remainingLifeP90Hours]: life.p90,
              }
            : {}),
        },
        timeUs: o.endMs * 1000,
      });
      if (alarm) {
        alarms.push({
          timeUs: o.endMs * 1000,
          host: o.host,
          deviceKind: o.deviceKind,
          probability: p,
          horizonHours: options.horizonHours,
          topFactor: factor ?? '',
          ...(explained ? { factors: explained } : {}),
          modelVersion: `${this.model.manifest.name}@${this.model.manifest.version}`,
        });
      }
    }
    await sink.write(points);
    await sink.flush();
    const next: MaintenanceStageState = { evaluatedUntilMs: upperMs, alarmed };
    await store.save(MAINTENANCE_STAGE_STATE_KEY, next);
    this.state = next;
    if (alarms.length) this.deps.hooks?.onAlarms?.(alarms);
    this.deps.hooks?.onBatch?.({
      devices: series.length,
      points: points.length,
      alarms: alarms.length,
      evaluatedUntilMs: upperMs,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    });
    return limitMs > upperMs ? 1 : 0;
  }

  private row(group: string, startMs: number, values: Record<string, number | undefined>): Row {
    const { group: groupColumn = 'host', order } = this.model.manifest.features;
    const row: Record<string, string> = { [groupColumn]: group, [order?.column ?? 't']: String(startMs) };
    for (const column of this.columns) {
      const v = values[column];
      row[column] = v === undefined ? '' : String(v);
    }
    return row;
  }

  private risk(rows: readonly Row[]): Promise<Float64Array> {
    return this.riskOf(buildFeatures(this.model.manifest.features, rows));
  }

  private async riskOf(matrix: FeatureMatrix): Promise<Float64Array> {
    const outputs = await this.model.run(matrix);
    if (outputs.task !== 'classification') throw new Error('the maintenance model is not a classifier');
    const out = new Float64Array(matrix.rowCount);
    for (let i = 0; i < matrix.rowCount; i++) out[i] = outputs.probabilities[i * outputs.classes + this.positive];
    return out;
  }

  /**
   * Per row, the remaining life in hours (rounded to 0.01 h), or undefined for every row when no
   * remaining-life model is served; a row whose outputs are not finite gets none.
   */
  private async remainingLife(rows: readonly Row[]): Promise<Array<RemainingLife | undefined> | undefined> {
    const model = this.model.remainingLife;
    if (!model) return undefined;
    const outputs = await model.run(buildFeatures(model.manifest.features, rows));
    if (outputs.task !== 'regression') throw new Error('the remaining-life model is not a regressor');
    // The regressor may overshoot the range it learned; clamping every bound keeps their order.
    const hours = (v: number) => Math.round(Math.min(model.capHours, Math.max(0, v)) * 100) / 100;
    return rows.map((_, i) => {
      const [value, p10, p90] = [outputs.prediction[i], outputs.p10[i], outputs.p90[i]];
      if (!Number.isFinite(value) || !Number.isFinite(p10) || !Number.isFinite(p90)) return undefined;
      return { hours: hours(value), p10: hours(Math.min(p10, value)), p90: hours(Math.max(p90, value)) };
    });
  }

  /**
   * Per flagged row, the sensors by |SHAP contribution| to the log-odds of failure (each sensor's
   * window features summed, categorical levels under their column), with the sensor's last value.
   */
  private shapFactors(
    rows: readonly Row[],
    matrix: FeatureMatrix,
    flagged: readonly number[],
    explain: (features: ArrayLike<number>) => ShapExplanation
  ): Map<number, MaintenanceFactor[]> {
    const { names, numeric, categorical } = this.model.manifest.features;
    const sources = [...numeric.map((n) => n.column), ...categorical.map((c) => c.column)];
    // Feature names are `column`, `column stat(window)` or `column=level`.
    const sourceOf = names.map(
      (name) => sources.find((c) => name === c || name.startsWith(`${c} `) || name.startsWith(`${c}=`)) ?? name
    );
    const width = matrix.featureCount;
    const out = new Map<number, MaintenanceFactor[]>();
    for (const index of flagged) {
      const { contributions } = explain(matrix.values.subarray(index * width, (index + 1) * width));
      const bySource = new Map<string, number>();
      contributions.forEach((c, f) => bySource.set(sourceOf[f], (bySource.get(sourceOf[f]) ?? 0) + c));
      const ranked = [...bySource]
        .filter(([, weight]) => weight !== 0)
        .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || (a[0] < b[0] ? -1 : 1));
      // The list leads with the sensor that raised the risk most (the top factor), when one did.
      const raising = ranked.filter(([, weight]) => weight > 0).sort((a, b) => b[1] - a[1])[0];
      const chosen = raising ? [raising, ...ranked.filter((r) => r !== raising)] : ranked;
      out.set(
        index,
        chosen.slice(0, MAINTENANCE_FACTORS).map(([column, weight]) => {
          const cell = rows[index][column];
          return {
            feature: `${SENSORS}.${column}`,
            ...(cell === undefined || cell === '' ? {} : { value: Number(cell) }),
            weight: Math.round(weight * 1e4) / 1e4,
          };
        })
      );
    }
    return out;
  }

  /**
   * The sensor whose replacement by its previous window lowers the row's risk most, per flagged
   * row (`measurement.field`); none when no replacement lowers it.
   */
  private async topFactors(
    rows: readonly Row[],
    flagged: readonly number[],
    probabilities: Float64Array
  ): Promise<Map<number, string>> {
    const factors = new Map<number, string>();
    if (flagged.length === 0) return factors;
    const { group = 'host', order } = this.model.manifest.features;
    const orderColumn = order?.column ?? 't';
    const { historyRows: history, bucketMs } = this.deps.options;
    const dayMs = history * bucketMs;
    const byTime = new Map(rows.map((row) => [`${row[group]}\u0000${row[orderColumn]}`, row]));
    const variants: Row[] = [];
    const lastOf: { row: number; column: string; at: number }[] = [];
    for (const index of flagged) {
      const host = rows[index][group];
      let from = index;
      while (from > 0 && index - from + 1 < history && rows[from - 1][group] === host) from--;
      for (const column of this.columns) {
        // The sensor as it was one window earlier, at the same times of day; held at the
        // window's first value where that day is missing.
        const held = rows[from][column];
        for (let i = from; i <= index; i++) {
          const before = byTime.get(`${host}\u0000${Number(rows[i][orderColumn]) - dayMs}`)?.[column];
          variants.push({
            ...rows[i],
            [group]: `${host}\u0000${index}\u0000${column}`,
            [column]: before === undefined || before === '' ? held : before,
          });
        }
        lastOf.push({ row: index, column, at: variants.length - 1 });
      }
    }
    const occluded = await this.risk(variants);
    const best = new Map<number, { column: string; drop: number }>();
    for (const { row, column, at } of lastOf) {
      const drop = probabilities[row] - occluded[at];
      const current = best.get(row);
      if (drop > 0 && (!current || drop > current.drop)) best.set(row, { column, drop });
    }
    for (const [row, { column }] of best) factors.set(row, `${SENSORS}.${column}`);
    return factors;
  }

  private async loadState(): Promise<MaintenanceStageState> {
    if (this.state) return this.state;
    const saved = await this.deps.store.load<MaintenanceStageState>(MAINTENANCE_STAGE_STATE_KEY);
    const { bucketMs, startLookbackMs } = this.deps.options;
    const startMs = Math.floor((this.deps.clock.nowMs() - startLookbackMs) / bucketMs) * bucketMs;
    this.state = saved ?? { evaluatedUntilMs: startMs, alarmed: {} };
    return this.state;
  }
}

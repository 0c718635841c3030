import type { ModelFigures } from '../domain/mlops/fairness';
import type { SeriesPoint } from '../domain/series';
import { holdoutPoints } from '../adapters/influx/modelMetricsWriter';
import { describeModel } from '../adapters/registry/lifecycle';
import { listModels } from '../adapters/registry/modelRegistry';
import { modelCatalog } from './modelCatalog';

/**
 * The held-out figures each registered version was measured with when it was trained (its
 * manifest's `metrics.test`, or `metrics.holdout` for the MTTR trees), as `aiops_models` holdout
 * points at the time the version was made. Without them the Model health dashboard stays empty
 * until the first scheduled retraining: `nocai setup`, `nocai train` and the demo train models
 * that have figures, and only the retraining job wrote figures to InfluxDB.
 *
 * The alias tag is `none`: the evaluation happened before the version had an alias (the tag is the
 * alias at evaluation time). The point's time is the version's `createdAt`, so writing it again
 * (at every start, after every alias change) overwrites the same point instead of adding one.
 * Versions whose manifest has no held-out accuracy, F1 or MAE in seconds (imports, whose check is
 * against the reference outputs, and regressions in other units) are left out, as are unreadable
 * and archived versions.
 */
export async function trainingEvaluationPoints(
  registryDir: string,
  maintenanceHorizonH?: number
): Promise<SeriesPoint[]> {
  const primaryOf = new Map(modelCatalog(maintenanceHorizonH).map((e) => [e.name, e.primaryMetric] as const));
  const points: SeriesPoint[] = [];
  for (const name of await listModels(registryDir)) {
    const description = await describeModel(registryDir, name);
    for (const version of description.versions) {
      if (version.problem || version.archived || !version.createdAt) continue;
      const timeMs = Date.parse(version.createdAt);
      const figures = heldOutFigures(version.metrics);
      if (!figures || !Number.isFinite(timeMs)) continue;
      const primaryMetric =
        primaryOf.get(name) ??
        (figures.f1 !== undefined ? 'f1' : figures.accuracy !== undefined ? 'accuracy' : 'mae_s');
      const primaryValue = { f1: figures.f1, accuracy: figures.accuracy, mae_s: figures.maeSeconds }[primaryMetric];
      points.push(
        ...holdoutPoints(
          {
            model: name,
            version: version.version,
            alias: 'none',
            ...(primaryValue !== undefined ? { primaryMetric, primaryValue } : {}),
          },
          { overall: figures, segments: [] },
          Math.round(timeMs) * 1000
        )
      );
    }
  }
  return points;
}

/** A manifest's held-out figures in aiops_models' terms, or undefined when it has none of them. */
export function heldOutFigures(metrics: unknown): ModelFigures | undefined {
  const record = metrics as { test?: Record<string, unknown>; holdout?: Record<string, unknown> } | null | undefined;
  const part = record?.test ?? record?.holdout;
  if (!part || typeof part !== 'object') return undefined;
  const number = (key: string) => {
    const value = part[key];
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  };
  const rows = number('rows');
  const figures: ModelFigures = {
    rows: rows ?? 0,
    accuracy: number('accuracy'),
    f1: number('macroF1'),
    maeSeconds: number('maeSeconds'),
  };
  if (
    rows === undefined ||
    (figures.accuracy === undefined && figures.f1 === undefined && figures.maeSeconds === undefined)
  )
    return undefined;
  return figures;
}

import type { ProblemDefinition } from '@nocai/contract';
import type { EntitySeries, ProblemGrid } from './dataset';
import type { ProblemExplainer, ProblemScorer } from './explanation';
import type { ProblemManifest } from './manifest';

/** A problem's series on its grid, with the input variables its patterns resolved to. */
export interface ProblemSeriesData {
  grid: ProblemGrid;
  series: EntitySeries[];
  /** `measurement.field`, sorted: the order of the features. */
  variables: string[];
}

/**
 * Where a problem's series come from (InfluxDB in production, `adapters/influx/problemSeries.ts`).
 * Refuses a definition that names series or fields the store does not hold with a `ProblemDataError`
 * naming the field of the definition.
 */
export interface ProblemSeriesSource {
  /** Resolves the input patterns and checks the event's series, without reading data. */
  resolveVariables(definition: ProblemDefinition): Promise<string[]>;
  /** The series of every entity on the grid of `interval` steps covering [fromMs, toMs). */
  load(definition: ProblemDefinition, range: { fromMs: number; toMs: number }): Promise<ProblemSeriesData>;
}

/** A problem model the registry serves (its champion): its manifest and the graph's scorer. */
export interface ServedProblem {
  manifest: ProblemManifest;
  /** Probabilities for row-major float32 rows of the manifest's features. */
  score: ProblemScorer;
  /**
   * Exact SHAP values of a row for the graph's learner (TreeSHAP of its trees, the linear terms of a
   * logistic one), in the manifest candidate's space (`ProblemShapSpace`): what every alert carries.
   */
  explain: ProblemExplainer;
}

/** The problem models to serve now (the registry's champions), reloaded so promotions serve without a restart. */
export interface ServedProblemCatalog {
  champions(): Promise<ServedProblem[]>;
}

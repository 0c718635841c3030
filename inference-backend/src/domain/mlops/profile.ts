import { TemplateMiner } from '../logs/templateMiner';
import type { TemplateMinerState } from '../logs/templateMiner';

/**
 * A model version's reference profile: what its training rows looked like, saved as
 * `profile.json` next to its manifest, for the drift stage to compare a current window with.
 *
 * Categorical inputs keep their full value counts. Numeric inputs keep count, mean, standard
 * deviation and a deterministic sample of at most `NUMERIC_SAMPLE_SIZE` values: an evenly strided
 * pick over the rows in their training order, so a time-ordered window is sampled across its
 * whole length and the same rows always give the same profile. The drift tests run on the sample;
 * the choice of test (Evidently's rule at 1,000 rows) follows `count`.
 *
 * Text models also keep their text's template mix: the training messages mined by the project's
 * template miner (Drain), counted by final masked template, with the miner's state, so that a
 * current message can be matched to the training templates by the very same miner (`matchTemplate`)
 * instead of comparing template texts mined by another miner that saw other lines.
 */
export const PROFILE_FORMAT = 1;
export const NUMERIC_SAMPLE_SIZE = 5000;

export type FeatureProfile =
  | { kind: 'categorical'; counts: Record<string, number> }
  | { kind: 'numeric'; count: number; mean: number; std: number; sample: number[] };

export interface TemplateProfile {
  /** Training messages per final masked template text. */
  counts: Record<string, number>;
  miner: TemplateMinerState;
}

export interface ReferenceProfile {
  format: typeof PROFILE_FORMAT;
  /** Registry name and version of the model. */
  model: string;
  version: string;
  createdAt: string;
  /** Training rows profiled. */
  rows: number;
  /** Per input column, by the column's name in the training rows. */
  features: Record<string, FeatureProfile>;
  templates?: TemplateProfile;
  /** Classifiers: the label column, and rows per class label the model learnt (the mix it was trained to reproduce). */
  target?: string;
  labels?: Record<string, number>;
  /**
   * Raw label values the trainer rewrote before training (`false_alarm` → `alert`): a current
   * value is mapped through it before it is compared with `labels`.
   */
  labelAliases?: Record<string, string>;
}

export function categoricalProfile(values: Iterable<string>): FeatureProfile {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return { kind: 'categorical', counts };
}

/** Numeric profile of `values` (non-finite values are left out). */
export function numericProfile(values: readonly number[], sampleSize = NUMERIC_SAMPLE_SIZE): FeatureProfile {
  const finite = values.filter((v) => Number.isFinite(v));
  const count = finite.length;
  const mean = count === 0 ? 0 : finite.reduce((s, v) => s + v, 0) / count;
  const std = count === 0 ? 0 : Math.sqrt(finite.reduce((s, v) => s + (v - mean) ** 2, 0) / count);
  const sample =
    count <= sampleSize
      ? finite
      : Array.from({ length: sampleSize }, (_, i) => finite[Math.floor((i * count) / sampleSize)]);
  return { kind: 'numeric', count, mean, std, sample };
}

/** Mines `messages` in order and counts them by their cluster's final template. */
export function templateProfile(messages: Iterable<string>): TemplateProfile {
  const miner = new TemplateMiner();
  for (const message of messages) miner.add(message);
  const counts: Record<string, number> = {};
  for (const t of miner.templates()) counts[t.template] = (counts[t.template] ?? 0) + t.size;
  return { counts, miner: miner.toJSON() };
}

/**
 * Matches current messages to a profile's training templates. `match` returns the template text
 * of the training cluster the miner would join the message to, or undefined for a message that
 * would start a cluster of its own: a template the training window never had.
 */
export class TemplateMatcher {
  private readonly miner: TemplateMiner;
  private readonly finalTemplate = new Map<string, string>();

  constructor(profile: TemplateProfile) {
    this.miner = TemplateMiner.fromJSON(profile.miner);
    for (const t of this.miner.templates()) this.finalTemplate.set(t.templateId, t.template);
  }

  match(message: string): string | undefined {
    const found = this.miner.match(message);
    return found === undefined ? undefined : (this.finalTemplate.get(found.templateId) ?? found.template);
  }
}

/** One training row of a text classifier, as the trainer saw it. */
export interface TextTrainingRow {
  text: string;
  context: Readonly<Record<string, string>>;
  label: string;
}

/** The profile of a text classifier: its context columns, its text's template mix, its label mix. */
export function textClassifierProfile(
  model: { name: string; version: string; createdAt: string },
  rows: readonly TextTrainingRow[],
  options: { target: string; contextColumns: readonly string[]; labelAliases?: Record<string, string> }
): ReferenceProfile {
  const features: Record<string, FeatureProfile> = {};
  for (const column of options.contextColumns)
    features[column] = categoricalProfile(rows.map((r) => r.context[column] ?? ''));
  const labels = categoricalProfile(rows.map((r) => r.label));
  return {
    format: PROFILE_FORMAT,
    model: model.name,
    version: model.version,
    createdAt: model.createdAt,
    rows: rows.length,
    features,
    templates: templateProfile(rows.map((r) => r.text)),
    target: options.target,
    labels: labels.kind === 'categorical' ? labels.counts : undefined,
    ...(options.labelAliases && Object.keys(options.labelAliases).length > 0
      ? { labelAliases: options.labelAliases }
      : {}),
  };
}

/**
 * The profile of a tabular model from its training rows (cells as text, as read from the file):
 * numeric columns as numbers (empty or unparsable cells left out), categorical ones as counts,
 * and for a classifier the mix of its target column: by `labelOf`, the class the model names a
 * cell by (undefined: a missing cell, left out), else the cell itself when it is not empty.
 */
export function tabularProfile(
  model: { name: string; version: string; createdAt: string },
  rows: ReadonlyArray<Readonly<Record<string, string>>>,
  columns: {
    numeric: readonly string[];
    categorical: readonly string[];
    target?: string;
    labelOf?: (cell: string) => string | undefined;
  }
): ReferenceProfile {
  const features: Record<string, FeatureProfile> = {};
  for (const column of columns.numeric) {
    features[column] = numericProfile(rows.map((r) => ((r[column] ?? '').trim() === '' ? NaN : Number(r[column]))));
  }
  for (const column of columns.categorical) features[column] = categoricalProfile(rows.map((r) => r[column] ?? ''));
  const target = columns.target;
  const labelOf = columns.labelOf ?? ((cell: string) => (cell.trim() === '' ? undefined : cell));
  const labels =
    target === undefined
      ? undefined
      : categoricalProfile(rows.map((r) => labelOf(r[target] ?? '')).filter((v): v is string => v !== undefined));
  return {
    format: PROFILE_FORMAT,
    model: model.name,
    version: model.version,
    createdAt: model.createdAt,
    rows: rows.length,
    features,
    ...(target !== undefined && labels?.kind === 'categorical' ? { target, labels: labels.counts } : {}),
  };
}

/** Ticket columns the MTTR model reads that a ticket's opening carries, and the drift stage can read back. */
export const MTTR_PROFILE_COLUMNS = ['class', 'department', 'priority', 'site_kind', 'device_kind'] as const;

/**
 * The MTTR model's profile: its categorical inputs over the rows it trained on. Its calendar
 * inputs are left out on purpose: a day's window has one day of the week and one month, so their
 * distributions can never match a training window of months, and would flag drift every day.
 */
export function mttrProfile(
  model: { name: string; version: string; createdAt: string },
  rows: ReadonlyArray<Readonly<Record<(typeof MTTR_PROFILE_COLUMNS)[number], string>>>
): ReferenceProfile {
  return tabularProfile(model, rows, { numeric: [], categorical: MTTR_PROFILE_COLUMNS });
}

/** The raw label values a trainer's label rewrite changes (`false_alarm` → `alert`); rows mapped to '' are dropped, not aliased. */
export function labelAliasesOf(
  rawLabels: Iterable<string>,
  mapLabel: (label: string) => string
): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const raw of new Set(rawLabels)) {
    const mapped = mapLabel(raw);
    if (mapped !== '' && mapped !== raw.trim()) aliases[raw] = mapped;
  }
  return aliases;
}

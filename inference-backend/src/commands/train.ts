import { Option } from 'commander';
import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { plural } from '@nocai/contract';
import { DEFAULT_MAX_CELL_CHARS, printable, printablePath, readTableFile } from '../adapters/files/csv';
import { prepareOutputFolder } from '../adapters/files/outputFolder';
import type { InputLimits, Table } from '../adapters/files/csv';
import {
  exportLinearClassifier,
  FEATURE_INDICES_INPUT,
  FEATURE_VALUES_INPUT,
  PROBABILITIES_OUTPUT,
} from '../adapters/onnx/linearClassifierExport';
import { aliasActorOf, loadModel, saveModel, setAlias } from '../adapters/registry/modelRegistry';
import { profileFile } from '../adapters/registry/profileStore';
import { DEFAULT_MAX_FEATURES } from '../domain/mlops/featurizer';
import { classNamer } from '../domain/mlops/tabularFeatures';
import { labelAliasesOf, textClassifierProfile } from '../domain/mlops/profile';
import { MANIFEST_FORMAT } from '../domain/mlops/manifest';
import type { ModelManifest, Provenance, RegistryManifest } from '../domain/mlops/manifest';
import type { ProgressListener } from '../domain/mlops/methodology';
import { trainTextClassifier, TrainingDataError } from '../domain/mlops/textClassifier';
import type { LabelledExample, TextClassifierOptions, TrainedTextClassifier } from '../domain/mlops/textClassifier';
import type { Inventory } from '@nocai/contract';
import { ConfigError, loadRetrainMargin } from '../config';
import { Simulation } from '../simulator';
import { fieldVocabularyRows } from '../simulator/fieldVocabulary';
import { labelledLinesOf, type LabelledLine } from '../simulator/labelledLines';
import {
  checkCellLengths,
  checkColumns,
  columnList,
  columnSpread,
  inputErrorMessage,
  isInputError,
  positiveInteger,
  processIo,
  TrainInputError,
  withInputLimits,
} from './commandInput';
import type { CommandIo } from './commandInput';
import { placeNewVersion, servingRecord } from './championChoice';
import type { ChampionComparison, ServingDecision } from './championChoice';
import { checkModelFamily } from './modelFamily';
import { userProvenance } from './provenance';
import { addTabularTrainOptions, runTabularTrainCommand, tabularFlagsGiven } from './tabularFlags';
import type { TabularTrainOptionValues } from './tabularFlags';

// Defined here first; commands import them from ./commandInput, so that none loads the trainer.
export {
  checkCellLengths,
  checkColumns,
  columnList,
  inputErrorMessage,
  isInputError,
  positiveInteger,
  TrainInputError,
  withInputLimits,
};
export type { CommandIo };

/** One model to train from one table: which columns say what, and what to call it. */
export interface TargetSpec {
  /** Registry name of the model (`department`, `event-class`). */
  name: string;
  labelColumn: string;
  textColumns: string[];
  contextColumns: string[];
  timeColumn?: string;
  /** Rewrites a label before training (`false_alarm` → `alert`); rows mapped to '' are skipped. */
  mapLabel?: (label: string) => string;
  /**
   * Curated rows in the table's columns (the field vocabulary), added to every training set of
   * this target and never scored: see `simulator/fieldVocabulary.ts`.
   */
  seedRows?: () => Array<Record<string, string>>;
  options?: Partial<TextClassifierOptions>;
  /** A column of positive numbers: how much each row counts (recency weights of the retraining). */
  weightColumn?: string;
}

export interface TrainedTarget {
  manifest: ModelManifest;
  report: TrainedTextClassifier['report'];
  seconds: number;
  /** Which alias `nocai train` gave the new version, and why (`championChoice.ts`). */
  serving?: ServingDecision;
}

function parseTimeMs(value: string): number {
  const trimmed = value.trim();
  return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : Date.parse(trimmed);
}

function examplesOf(table: Table, spec: TargetSpec): LabelledExample[] {
  const examples: LabelledExample[] = [];
  table.rows.forEach((row, i) => {
    const raw = row[spec.labelColumn] ?? '';
    const label = spec.mapLabel ? spec.mapLabel(raw) : raw.trim();
    if (label === '') return;
    let timeMs: number | undefined;
    if (spec.timeColumn) {
      timeMs = parseTimeMs(row[spec.timeColumn] ?? '');
      if (!Number.isFinite(timeMs)) {
        throw new TrainInputError(
          `column "${printable(spec.timeColumn)}" must hold times (ISO 8601 or epoch ms); ` +
            `row ${i + 1} has "${printable(row[spec.timeColumn] ?? '')}".`
        );
      }
    }
    let weight: number | undefined;
    if (spec.weightColumn) {
      weight = Number(row[spec.weightColumn] ?? '');
      if (!(weight > 0) || !Number.isFinite(weight)) {
        throw new TrainInputError(
          `column "${printable(spec.weightColumn)}" must hold positive weights; row ${i + 1} has "${printable(row[spec.weightColumn] ?? '')}".`
        );
      }
    }
    examples.push({
      text: spec.textColumns.map((c) => row[c] ?? '').join(' '),
      context: Object.fromEntries(spec.contextColumns.map((c) => [c, row[c] ?? ''])),
      label,
      timeMs,
      weight,
    });
  });
  // A column of numbers is classes by number, as a tabular target's: `1` and `1.0` are one class.
  const nameOf = classNamer(examples.map((e) => e.label));
  for (const e of examples) e.label = nameOf(e.label);
  return examples;
}

function dataHash(examples: readonly LabelledExample[]): string {
  const hash = createHash('sha256');
  for (const e of examples) hash.update(`${JSON.stringify([e.timeMs ?? null, e.label, e.text, e.context])}\n`);
  return hash.digest('hex');
}

interface TrainTargetOptions {
  champion?: boolean;
  file?: string;
  onProgress?: ProgressListener;
  provenance?: Provenance;
}

/**
 * Trains one target on `table`, exports it to ONNX and stores it as a new version in
 * `registryDir`; with `champion`, the new version becomes the champion.
 */
export async function trainTarget(
  table: Table,
  spec: TargetSpec,
  registryDir: string,
  options: TrainTargetOptions = {}
): Promise<TrainedTarget> {
  return registerTarget(table, fitTarget(table, spec, options), registryDir, options);
}

/** A target trained in memory, nothing written yet. */
interface FittedTarget {
  spec: TargetSpec;
  examples: LabelledExample[];
  trained: TrainedTextClassifier;
  began: number;
}

/** Trains one target on `table`; a refusal of its data is a TrainInputError. */
function fitTarget(table: Table, spec: TargetSpec, options: TrainTargetOptions): FittedTarget {
  const began = performance.now();
  checkColumns(
    table,
    [spec.labelColumn, ...spec.textColumns, ...spec.contextColumns, ...(spec.timeColumn ? [spec.timeColumn] : [])],
    options.file ?? 'the history'
  );
  const examples = examplesOf(table, spec);
  let trained;
  try {
    const seeds = spec.seedRows?.() ?? [];
    trained = trainTextClassifier(spec.labelColumn, examples, {
      ...spec.options,
      seedExamples:
        seeds.length > 0
          ? examplesOf(
              { columns: Object.keys(seeds[0]), rows: seeds },
              { ...spec, timeColumn: undefined, weightColumn: undefined }
            )
          : [],
      onProgress: (message) => options.onProgress?.(`train: ${spec.name}: ${message}`),
    });
  } catch (error) {
    // The message may name labels from the file.
    if (error instanceof TrainingDataError) throw new TrainInputError(`${printable(error.message, 200)}.`);
    throw error;
  }
  return { spec, examples, trained, began };
}

/** Exports a fitted target to ONNX and stores it as a new version (the champion with `champion`). */
async function registerTarget(
  table: Table,
  { spec, examples, trained, began }: FittedTarget,
  registryDir: string,
  options: TrainTargetOptions
): Promise<TrainedTarget> {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  const manifest = await saveModel(
    registryDir,
    {
      format: MANIFEST_FORMAT,
      name: spec.name,
      createdAt: new Date().toISOString(),
      target: spec.labelColumn,
      kind: 'linear_text_classifier',
      labels: trained.model.labels,
      inputs: {
        textColumns: spec.textColumns,
        contextColumns: spec.contextColumns,
        tensor: { name: FEATURE_INDICES_INPUT, values: FEATURE_VALUES_INPUT, dimension: trained.model.dimension },
      },
      outputs: { name: PROBABILITIES_OUTPUT },
      featurizer: trained.featurizer,
      trainingWindow: {
        from: iso(trained.window.fromMs),
        to: iso(trained.window.toMs),
        trainRows: trained.window.trainRows,
        testRows: trained.window.testRows,
        timeColumn: spec.timeColumn,
      },
      dataHash: dataHash(examples),
      metrics: trained.report,
      hyperparameters: trained.hyperparameters,
      ...options.provenance,
    },
    exportLinearClassifier(trained.model, `${spec.name}: ${spec.labelColumn} from ${spec.textColumns.join(', ')}`),
    // The drift stage's reference: the rows trained on (not the seed rows), stored with the version.
    (full) =>
      profileFile(
        textClassifierProfile(full, examples, {
          target: spec.labelColumn,
          contextColumns: spec.contextColumns,
          labelAliases: spec.mapLabel
            ? labelAliasesOf(
                table.rows.map((r) => r[spec.labelColumn] ?? ''),
                spec.mapLabel
              )
            : undefined,
        })
      )
  );
  if (options.champion) {
    await setAlias(registryDir, spec.name, 'champion', manifest.version, aliasActorOf(options.provenance));
  }
  return { manifest, report: trained.report, seconds: (performance.now() - began) / 1000 };
}

/**
 * The champion against a new text version on the new version's held-out rows of `table`: the
 * champion run on them, or, when it learnt from this very file (its data hash over its own columns
 * matches), the held-out macro-F1 of its own training. A clause saying why when they do not compare.
 */
async function compareWithChampion(
  registryDir: string,
  championVersion: string,
  table: Table,
  { spec, examples, trained }: FittedTarget,
  file: string
): Promise<ChampionComparison | string> {
  const stored = await loadModel<RegistryManifest>(registryDir, spec.name, championVersion);
  const base = {
    metric: 'macro-F1',
    lowerIsBetter: false,
    challenger: trained.report.test.macroF1,
    rows: trained.heldOut.length,
  };
  const champion = stored.manifest as Partial<ModelManifest>;
  if (champion.kind === 'linear_text_classifier' && champion.inputs && champion.trainingWindow && champion.target) {
    const { textColumns, contextColumns } = champion.inputs;
    const { timeColumn } = champion.trainingWindow;
    const columns = [champion.target, ...textColumns, ...contextColumns, ...(timeColumn ? [timeColumn] : [])];
    const theirs = { ...spec, labelColumn: champion.target, textColumns, contextColumns, timeColumn };
    if (
      columns.every((c) => table.columns.includes(c)) &&
      dataHash(examplesOf(table, { ...theirs, weightColumn: undefined })) === champion.dataHash
    ) {
      return { ...base, champion: champion.metrics?.test.macroF1 ?? 0, championBasis: 'recorded' };
    }
    const missing = [...textColumns, ...contextColumns].filter((c) => !table.columns.includes(c));
    if (missing.length > 0) {
      return `the champion ${championVersion} reads ${missing.map((c) => `"${printable(c)}"`).join(', ')}, which ${printablePath(file)} lacks`;
    }
  }
  // The rows examplesOf kept, in its order, with the class names it gave them.
  const labelled = table.rows.filter((row) => (row[spec.labelColumn] ?? '').trim() !== '');
  const rows = trained.heldOut.map((i) => ({ ...labelled[i], [spec.labelColumn]: examples[i].label }));
  // Loaded on demand: the retraining service imports this module.
  const { evaluateVersion } = require('../services/retraining') as typeof import('../services/retraining');
  try {
    const scored = await evaluateVersion(registryDir, spec.name, championVersion, 'champion', rows, spec, []);
    return { ...base, champion: scored.f1 ?? 0, championBasis: 'scored' };
  } catch (error) {
    return `the champion ${championVersion} cannot be run on the held-out rows (${printable(error instanceof Error ? error.message : String(error), 200)})`;
  }
}

const pad = (text: string, width: number) => text.padEnd(width);
const fixed = (n: number) => n.toFixed(3);

/** One line after a target is trained: what was chosen and how it did. */
function outcome(result: TrainedTarget): string {
  const { crossValidation: cv, calibration, test } = result.report;
  const h = cv.chosen;
  return (
    `C=${h.C}, class weights ${h.classWeight}, ${plural(result.manifest.inputs.tensor.dimension, 'feature')} ` +
    `(${cv.folds}-fold ${cv.kind} CV macro-F1 ${fixed(Math.max(...cv.candidates.map((c) => c.mean)))}); ` +
    `held-out macro-F1 ${fixed(test.macroF1)}, ECE ${fixed(calibration.heldOut.ece)} ` +
    `(T=${calibration.temperature.toFixed(2)}) in ${result.seconds.toFixed(1)} s`
  );
}

/** Plain-text table, one line per target: what a person checks after training. */
export function summaryTable(results: readonly TrainedTarget[]): string {
  const header = [
    'model',
    'version',
    'classes',
    'train rows',
    'test rows',
    'train F1',
    'test F1',
    'test accuracy',
    'CV F1',
    'test ECE',
  ];
  const rows = results.map((r) => [
    r.manifest.name,
    r.manifest.version,
    String(r.manifest.labels.length),
    String(r.manifest.trainingWindow.trainRows),
    String(r.manifest.trainingWindow.testRows),
    fixed(r.report.train.macroF1),
    fixed(r.report.test.macroF1),
    fixed(r.report.test.accuracy),
    fixed(r.report.crossValidation.candidates.reduce((best, c) => Math.max(best, c.mean), 0)),
    fixed(r.report.calibration.heldOut.ece),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)) + 2);
  return (
    [header, ...rows]
      .map((row) =>
        row
          .map((cell, i) => pad(cell, widths[i]))
          .join('')
          .trimEnd()
      )
      .join('\n') + '\n'
  );
}

/** Report written next to the models: the metrics of every target of one training run. */
export async function writeReport(dir: string, results: readonly TrainedTarget[], source: string): Promise<string> {
  const file = join(dir, 'report.json');
  const report = {
    createdAt: new Date().toISOString(),
    source,
    targets: Object.fromEntries(
      results.map((r) => [
        r.manifest.name,
        {
          version: r.manifest.version,
          trainingSeconds: r.seconds,
          window: r.manifest.trainingWindow,
          ...(r.serving ? { serving: servingRecord(r.serving) } : {}),
          ...r.report,
        },
      ])
    ),
  };
  await mkdir(dir, { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

async function readTable(file: string, limits: InputLimits = {}): Promise<Table> {
  const table = await readTableFile(file, limits);
  if (table.rows.length === 0) throw new TrainInputError(`${printablePath(file)} has no data rows.`);
  return table;
}

export type { ProgressListener };

/** Simulator output → the five text models the backend serves, each registered as champion. */
export const DEFAULT_MODEL_SPECS = {
  events: [
    {
      name: 'event-class',
      labelColumn: 'class',
      textColumns: ['message'],
      contextColumns: ['appname', 'severity', 'device_kind'],
      timeColumn: 'time',
    },
    {
      name: 'event-decision',
      labelColumn: 'decision',
      textColumns: ['message'],
      contextColumns: ['appname', 'severity', 'device_kind', 'site_kind'],
      timeColumn: 'time',
      // Whether an alert-looking line was a false alarm is for the triage policy to find out
      // over time (did it recover?); a single line can only say "worth looking at".
      mapLabel: (label: string) => (label === 'false_alarm' ? 'alert' : label),
      // Class weights: unweighted, the rare power-loss lines (a few a fortnight) are out-voted by the
      // routine power chatter around them; balanced, held-out alert precision halves (every extra
      // "alert" on a routine line can open a ticket). The square root of the inverse frequency is
      // the compromise; CV still chooses C and the vocabulary cap.
      options: { grid: { classWeight: ['sqrt'] } },
    },
  ],
  tickets: [
    {
      // Complaints and Grafana alerts are classified like tickets, not like syslog lines.
      name: 'ticket-class',
      labelColumn: 'class',
      textColumns: ['title', 'description'],
      contextColumns: ['site_kind', 'device_kind'],
      timeColumn: 'opened_at',
      // The history speaks in the simulator's templates; people do not (issue 9).
      seedRows: fieldVocabularyRows,
    },
    {
      name: 'department',
      labelColumn: 'department',
      textColumns: ['title', 'description'],
      contextColumns: ['site_kind', 'device_kind'],
      timeColumn: 'opened_at',
      seedRows: fieldVocabularyRows,
    },
    {
      name: 'priority',
      labelColumn: 'priority',
      textColumns: ['title', 'description'],
      // The simulator's rule: urgency of the kind of problem, shifted by the site's criticality
      // (the site stands for it: the ticket history has no criticality column).
      contextColumns: ['site', 'site_kind', 'device_kind', 'class'],
      timeColumn: 'opened_at',
      seedRows: fieldVocabularyRows,
      // The priority is an interaction of the reported impact and the site: little shrinkage may
      // be needed to learn it from two thousand tickets, so the CV may choose a large C.
      options: { grid: { C: [1, 10, 100] } },
    },
  ],
} satisfies Record<string, TargetSpec[]>;

/**
 * Trains event-class and event-decision from `<simOutDir>/history/events.jsonl` and
 * department and priority from `<simOutDir>/history/tickets.jsonl`, registers each in
 * `registryDir` as champion, and writes `<registryDir>/report.json`.
 */
export async function trainDefaultModels(
  simOutDir: string,
  registryDir: string,
  onProgress: ProgressListener = () => undefined,
  provenance?: Provenance
): Promise<TrainedTarget[]> {
  const results: TrainedTarget[] = [];
  const sources: Array<[string, TargetSpec[]]> = [
    [join(simOutDir, 'history', 'events.jsonl'), DEFAULT_MODEL_SPECS.events],
    [join(simOutDir, 'history', 'tickets.jsonl'), DEFAULT_MODEL_SPECS.tickets],
  ];
  for (const [file, specs] of sources) {
    onProgress(`train: reading ${file}`);
    const table = await readTable(file);
    for (const spec of specs) {
      onProgress(`train: ${spec.name} on ${plural(table.rows.length, 'row')}`);
      const result = await trainTarget(table, spec, registryDir, { champion: true, file, onProgress, provenance });
      onProgress(`train: ${spec.name} ${result.manifest.version}: ${outcome(result)}`);
      results.push(result);
    }
  }
  await writeReport(registryDir, results, simOutDir);
  return results;
}

/**
 * Trains event-class and event-decision on `days` of simulated syslog ending at `endUs` (hourly
 * metrics: only the lines matter) and registers them as champions in `registryDir`. The bench and
 * the scenario tests use it to run the ONNX path on a period the models never saw; `by` names
 * which (`npm run bench`), and is recorded as the versions' maker with the period and seed as why.
 */
export async function trainLineModelsOnSimulation(
  inventory: Inventory,
  endUs: number,
  days: number,
  registryDir: string,
  { by, seed = 42 }: { by: string; seed?: number }
): Promise<TrainedTarget[]> {
  const simulation = new Simulation({ seed, inventory, metricsIntervalSeconds: 3600, sensorIntervalSeconds: 3600 });
  const quarterDayUs = 6 * 3_600_000_000;
  const lines: LabelledLine[] = [];
  for (let t = endUs - days * 86_400_000_000; t < endUs; t += quarterDayUs) {
    lines.push(...labelledLinesOf(simulation.topology, simulation.generate(t, Math.min(t + quarterDayUs, endUs))));
  }
  if (lines.length === 0)
    throw new TrainInputError(`${plural(days, 'simulated day')} gave no syslog line to train on.`);
  const table: Table = {
    columns: Object.keys(lines[0]),
    rows: lines.map((l) => Object.fromEntries(Object.entries(l).map(([k, v]) => [k, String(v)]))),
  };
  const provenance: Provenance = {
    createdBy: { kind: 'setup', name: by },
    reason:
      `line model of ${by}, trained on ${plural(days, 'simulated day')} up to ` +
      `${new Date(endUs / 1000).toISOString()} (seed ${seed})`,
  };
  const results: TrainedTarget[] = [];
  for (const spec of DEFAULT_MODEL_SPECS.events)
    results.push(await trainTarget(table, spec, registryDir, { champion: true, provenance }));
  return results;
}

export interface TrainFlags {
  history: string;
  text: string[];
  label?: string;
  department?: string;
  priority?: string;
  time?: string;
  context?: string[];
  out: string;
  maxFeatures: number;
  seed: number;
  quiet?: boolean;
  /** Largest history file read, in MB; DEFAULT_MAX_INPUT_MB when absent. */
  maxInputMb?: number;
  /** Longest cell in a column the models read; DEFAULT_MAX_CELL_CHARS when absent. */
  maxCellChars?: number;
  /** New versions become champions even when they do not beat the current ones. */
  champion?: boolean;
  /** How much better a new version must do to replace the champion (NOCAI_RETRAIN_MARGIN); the default when absent. */
  margin?: number;
}

const textOf = (cell: string) => (cell.trim() === '' ? undefined : cell.trim());

/**
 * A text column empty in every row, or a context column empty or the same in every row, is a
 * mistake in the flags (a wrong column, an export that lost it): refused naming it.
 */
function checkInformative(table: Table, flags: TrainFlags): void {
  const file = printablePath(flags.history);
  for (const column of flags.text) {
    if (columnSpread(table, column, textOf)?.kind === 'empty') {
      throw new TrainInputError(
        `${file}: the text column "${printable(column)}" is empty in every row; leave it out of --text or fill it in.`
      );
    }
  }
  for (const column of flags.context ?? []) {
    const spread = columnSpread(table, column, textOf);
    if (spread?.kind === 'empty') {
      throw new TrainInputError(
        `${file}: the context column "${printable(column)}" is empty in every row; leave it out of --context or fill it in.`
      );
    }
    if (spread?.kind === 'constant') {
      throw new TrainInputError(
        `${file}: the context column "${printable(column)}" holds "${printable(spread.value)}" in every row, ` +
          'so it carries no information; leave it out of --context.'
      );
    }
  }
}

/** `nocai train`: returns the exit code (0, or 2 with one sentence on stderr for bad input). */
export async function runTrain(flags: TrainFlags, io: CommandIo = processIo): Promise<number> {
  const progress = (text: string) => {
    if (!flags.quiet) io.stderr(`${text}\n`);
  };
  const targets = (['label', 'department', 'priority'] as const).flatMap((name) => {
    const column = flags[name];
    return column ? [{ name, column }] : [];
  });
  try {
    if (targets.length === 0) {
      throw new TrainInputError('nothing to train: give at least one of --label, --department or --priority.');
    }
    const table = await readTable(flags.history, { maxInputMb: flags.maxInputMb, limitHint: '--max-input-mb' });
    // Every column checked before any training starts: a typo fails in a second, not after a model.
    const used = [
      ...targets.map((t) => t.column),
      ...flags.text,
      ...(flags.context ?? []),
      ...(flags.time ? [flags.time] : []),
    ];
    checkColumns(table, used, flags.history);
    checkCellLengths(table, used, flags.maxCellChars ?? DEFAULT_MAX_CELL_CHARS, flags.history);
    checkInformative(table, flags);
    for (const { name } of targets) await checkModelFamily(flags.out, name, 'text');
    // The folder is checked before training too: minutes of work must not end on a file in the way.
    await prepareOutputFolder(
      flags.out,
      targets.map((t) => t.name)
    );
    const options: TrainTargetOptions = {
      file: flags.history,
      onProgress: progress,
      provenance: userProvenance(`nocai train --history ${basename(flags.history)}`),
    };
    // Every target is trained before any is registered: a target refused for its data (too few
    // rows of a class) must not leave the others' new versions behind as champions of a failed run.
    const fitted: FittedTarget[] = [];
    for (const { name, column } of targets) {
      progress(`train: ${name} (${column}) on ${plural(table.rows.length, 'row')} of ${basename(flags.history)}`);
      fitted.push(
        fitTarget(
          table,
          {
            name,
            labelColumn: column,
            textColumns: flags.text,
            contextColumns: flags.context ?? [],
            timeColumn: flags.time,
            // The CV chooses the cap: the one given, or a quarter of it (at most 50,000).
            options: {
              grid: {
                maxFeatures: [...new Set([flags.maxFeatures, Math.min(50_000, Math.ceil(flags.maxFeatures / 4))])],
              },
              seed: flags.seed,
            },
          },
          options
        )
      );
    }
    const results: TrainedTarget[] = [];
    for (const [k, { name, column }] of targets.entries()) {
      const result = await registerTarget(table, fitted[k], flags.out, options);
      result.serving = await placeNewVersion(flags.out, name, result.manifest.version, {
        force: flags.champion,
        margin: flags.margin,
        provenance: options.provenance,
        compare: (champion) => compareWithChampion(flags.out, champion, table, fitted[k], flags.history),
      });
      progress(`train: ${name} ${result.manifest.version}: ${outcome(result)}`);
      // Said even with --quiet when there was a champion to compare with: which version serves is what a person acts on.
      if (!flags.quiet || result.serving.why !== 'first version') io.stderr(`nocai train: ${result.serving.reason}.\n`);
      // Said even with --quiet: the model learnt from fewer rows than the file holds.
      const unlabelled = table.rows.filter((row) => (row[column] ?? '').trim() === '').length;
      if (unlabelled > 0) {
        io.stderr(
          `nocai train: ${unlabelled} of ${plural(table.rows.length, 'row')} of ${printablePath(flags.history)} ` +
            `${unlabelled === 1 ? 'has' : 'have'} an empty "${printable(column)}" and ` +
            `${unlabelled === 1 ? 'was' : 'were'} left out of the ${name} model.\n`
        );
      }
      results.push(result);
    }
    const report = await writeReport(flags.out, results, flags.history);
    progress(`train: models and ${report} written`);
    io.stdout(summaryTable(results));
    return 0;
  } catch (error) {
    if (isInputError(error)) {
      io.stderr(`nocai train: ${inputErrorMessage(error)}\n`);
      return 2;
    }
    throw error;
  }
}

const HELP = `
Each target given (--label, --department, --priority) is trained as its own model: TF-IDF of
the masked text's words (uni- and bigrams), its characters (3- to 5-grams within words), its
first six words and the context columns, multinomial logistic regression (L-BFGS), exported to
ONNX. The newest 20% of each class (by --time, else by row order) is held out. On the rest,
3-fold cross-validation (time-ordered folds with --time) chooses the regularisation C, the class
weights and the vocabulary cap, and a temperature calibrates the confidences. OUT/report.json has
the held-out scores of the model fitted on the rest (per-class precision, recall, F1, confusion
matrix, calibration error and reliability table), the CV scores and the choice; the exported
model is then refitted on all rows with those choices. A label column of numbers makes a class of
each number however it is written (2 and 2.0). Rows with an empty label are left out and counted on
stderr. A --text column empty in every row, or a --context column empty or holding one value in
every row, is refused (exit code 2), as is a file naming a column twice, and a target with too
few rows for its cross-validation (it needs 3 rows of each of 2 classes); then no target is
registered.

Which version serves (text and tabular targets alike): the first version of a model is its
champion; a later one becomes champion only when it beats the champion on its held-out rows
by the margin NOCAI_RETRAIN_MARGIN sets, as for the scheduled retraining (default 0.01: macro-F1
0.01 higher, RMSE 1% lower; the champion run on the same rows, or its own held-out figure when it
was trained on this same file), else it is registered as challenger and the champion keeps
serving. --champion makes it champion regardless. stderr says which, why and the margin, and
report.json records them under "serving"; a NOCAI_RETRAIN_MARGIN that is not a number from 0 to
1 is refused (exit code 2).

Example:
  nocai train --history .demo/sim/history/tickets.csv --text title,description \\
    --department department --priority priority --time opened_at --context site_kind,device_kind --out models/`;

export function registerTrain(program: Command): void {
  const command = withInputLimits(
    program
      .command('train')
      .requiredOption('--history <file>', 'training rows: .csv with a header row, or .jsonl')
      .addOption(new Option('--text <columns>', 'text column(s), comma-separated, joined').argParser(columnList))
      .option('--label <column>', 'train a model named "label" on this column')
      .option('--department <column>', 'train a model named "department" on this column')
      .option('--priority <column>', 'train a model named "priority" on this column')
      .option('--time <column>', 'time column (ISO 8601 or epoch ms): hold out the newest rows')
      .addOption(new Option('--context <columns>', 'categorical columns used as features').argParser(columnList))
      .requiredOption('--out <dir>', 'model folder (registry layout) and report.json')
      .addOption(
        new Option(
          '--max-features <n>',
          'largest vocabulary per block (words, characters, lead); the CV may choose a quarter of it'
        )
          .default(DEFAULT_MAX_FEATURES)
          .argParser(positiveInteger('--max-features'))
      )
      .addOption(
        new Option('--seed <n>', 'seed of the cross-validation folds').default(1).argParser(positiveInteger('--seed'))
      )
      .option('--quiet', 'no progress on stderr')
      .option(
        '--champion',
        'make the new version champion even when it does not beat the current one (a deliberate change of columns)'
      )
  ).addHelpText('after', HELP);
  addTabularTrainOptions(command).action(async (_options: unknown, cmd: Command) => {
    let margin: number;
    try {
      margin = loadRetrainMargin();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`nocai train: ${error.message}.\n`);
      process.exitCode = 2;
      return;
    }
    const options = {
      ...cmd.opts<Omit<TrainFlags, 'text'> & { text?: string[] } & TabularTrainOptionValues>(),
      margin,
    };
    const { text } = options;
    // Text models with --text; a tabular target (issue 10) otherwise, which also refuses a tabular
    // flag given beside --text without --target rather than leave it unread.
    process.exitCode =
      text !== undefined && options.target === undefined && !tabularFlagsGiven(options)
        ? await runTrain({ ...options, text })
        : await runTabularTrainCommand(options);
  });
}

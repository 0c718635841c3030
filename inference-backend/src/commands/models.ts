import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import { plural } from '@nocai/contract';
import { FileAuditTrail } from '../adapters/audit/fileAuditTrail';
import { printable, printablePath } from '../adapters/files/csv';
import type { AuditSink } from '../domain/audit/audit';
import { IMPORTED_KIND, referenceCheckText } from '../domain/mlops/importedModel';
import { canonicalModelName } from '../domain/mlops/manifest';
import type { ImportCheckReport } from '../domain/mlops/importedModel';
import {
  DamagedModelError,
  InvalidModelNameError,
  ModelNotFoundError,
  RegistryConflictError,
} from '../adapters/registry/errors';
import {
  archive,
  describeModel,
  describeVersion,
  listModelSummaries,
  promote,
  rollback,
} from '../adapters/registry/lifecycle';
import type { ChangeContext, ChangeResult, ModelDescription, VersionDescription } from '../adapters/registry/lifecycle';
import { processIo } from './commandInput';
import type { CommandIo } from './commandInput';
import { table } from './textTable';

/**
 * `nocai models`: the registry from the command line (list, show, promote, rollback, archive),
 * through the same lifecycle functions as `/api/models`. A change is written to the audit trail of
 * the backend's state folder (`--state-dir`, or NOCAI_STATE_DIR) or to the sink the caller gives.
 */

interface Common {
  dir: string;
  json?: boolean;
}

interface Changing extends Common {
  reason?: string;
  stateDir?: string;
}

export type ModelsRequest =
  | ({ action: 'list' } & Common)
  | ({ action: 'show'; name: string; version?: string } & Common)
  | ({ action: 'promote'; name: string; version: string; expectChampion?: string } & Changing)
  | ({ action: 'rollback'; name: string; to?: string } & Changing)
  | ({ action: 'archive'; name: string; version: string } & Changing);

/** Refusals the user fixes by naming another model or version, or by looking again: exit code 2. */
function isRefusal(error: unknown): error is Error {
  return (
    error instanceof ModelNotFoundError ||
    error instanceof RegistryConflictError ||
    error instanceof DamagedModelError ||
    error instanceof InvalidModelNameError ||
    error instanceof ModelsUsageError
  );
}

/** Who runs the command: the system user (the CLI's user is whoever may write the models folder). */
function cliContext(reason: string | undefined): ChangeContext {
  let actor = process.env.USER ?? 'unknown';
  try {
    actor = userInfo().username;
  } catch {
    // No passwd entry (a container's arbitrary uid): $USER or unknown.
  }
  // admin role: issue 13 (roles do not exist yet; writing the models folder is the permission).
  return { actor, role: 'admin', from: 'cli', ...(reason ? { reason } : {}) };
}

/** A flag the command needs is missing: exit code 2. */
class ModelsUsageError extends Error {}

const isCheckReport = (metrics: unknown): metrics is ImportCheckReport =>
  typeof metrics === 'object' && metrics !== null && typeof (metrics as ImportCheckReport).referenceRows === 'number';

const NUMERIC_FIGURES = ['rows', 'accuracy', 'macroF1', 'rmse', 'mae', 'r2', 'maeSeconds', 'p90Coverage'];

/** The held-out figures of a manifest's metrics, whatever the kind of model: `accuracy 0.912 macroF1 0.871`. */
export function headlineFigures(metrics: unknown): string {
  const record = metrics as { test?: Record<string, unknown>; holdout?: Record<string, unknown> } | null;
  const part = record?.test ?? record?.holdout;
  if (!part || typeof part !== 'object') return '';
  return NUMERIC_FIGURES.filter((key) => typeof part[key] === 'number')
    .map((key) => {
      const value = part[key] as number;
      return `${key} ${Number.isInteger(value) ? value : value.toFixed(3)}`;
    })
    .join(' ');
}

/**
 * Text a manifest or the alias history recorded from people and files (a reason, an actor, the
 * name of a training file, tags, labels), escaped: a file named with an ANSI escape or a newline
 * must not repaint the terminal or forge a line of the listing.
 */
const shown = (text: string, maxChars = RECORDED_MAX_CHARS) => printable(text, maxChars);
const RECORDED_MAX_CHARS = 200;
/** A reason of the alias history: `nocai train`'s says which version serves and why, figures and all. */
const REASON_MAX_CHARS = 1000;

const createdByText = (v: VersionDescription) => {
  const by = v.createdBy as { kind?: string; name?: string } | undefined;
  return by?.kind ? shown(`${by.kind}:${by.name ?? ''}`) : '';
};

const archivedText = (archived: NonNullable<VersionDescription['archived']>) =>
  `${archived.at} by ${shown(archived.actor)}${archived.reason ? ` (${shown(archived.reason)})` : ''}`;

function modelText(model: ModelDescription): string {
  const lines = [
    `model ${model.name}: champion ${model.aliases.champion ?? '-'}, challenger ${model.aliases.challenger ?? '-'}`,
    '',
    table([
      ['VERSION', 'ALIASES', 'CREATED', 'BY', 'PARENT', 'HELD-OUT', 'STATE'],
      ...model.versions.map((v) => [
        v.version,
        v.aliases.join(',') || '-',
        v.createdAt ?? '-',
        createdByText(v) || '-',
        v.parentVersion ?? '-',
        headlineFigures(v.metrics) || '-',
        v.problem
          ? `unreadable: ${shown(v.problem)}`
          : v.archived
            ? `archived ${v.archived.at} by ${shown(v.archived.actor)}`
            : 'ok',
      ]),
    ]).trimEnd(),
  ];
  if (model.history.length > 0) {
    lines.push('', 'alias history:');
    for (const h of model.history) {
      lines.push(
        `  ${h.at} ${h.alias} ${h.from ?? '-'} -> ${h.to ?? '-'} by ${shown(h.actor)}${h.reason ? ` (${shown(h.reason, REASON_MAX_CHARS)})` : ''}`
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

function versionText(name: string, v: Awaited<ReturnType<typeof describeVersion>>): string {
  const json = (value: unknown) => JSON.stringify(value);
  const lines = [
    `model ${name} ${v.version}${v.aliases.length ? ` (${v.aliases.join(', ')})` : ''}`,
    `kind: ${shown(v.kind ?? '-')}`,
    `target: ${shown(v.target ?? '-')}`,
    `created: ${v.createdAt ?? '-'}${createdByText(v) ? ` by ${createdByText(v)}` : ''}`,
    `reason: ${v.reason !== undefined ? shown(v.reason) : '-'}`,
    `tags: ${
      v.tags
        ? Object.entries(v.tags)
            .map(([k, value]) => `${shown(k)}=${shown(String(value))}`)
            .join(' ')
        : '-'
    }`,
    `parent: ${v.parentVersion ?? '-'}`,
    `training window: ${v.trainingWindow ? json(v.trainingWindow) : '-'}`,
    `data hash: ${v.dataHash ?? '-'}`,
    `held-out figures: ${headlineFigures(v.metrics) || '-'}`,
    ...(v.kind === IMPORTED_KIND && isCheckReport(v.metrics)
      ? [`reference check: ${referenceCheckText(v.metrics)}`]
      : []),
    `hyperparameters: ${v.hyperparameters !== undefined ? json(v.hyperparameters) : '-'}`,
  ];
  const signature = v.signature as { inputs?: unknown[]; outputs?: unknown[] } | undefined;
  const spec = (t: unknown) => {
    const s = t as { name?: string; type?: string; shape?: unknown[] };
    return `${s.name ?? '?'} ${s.type ?? '?'}${s.shape ? `[${s.shape.join(', ')}]` : ''}`;
  };
  lines.push(
    signature
      ? `signature: inputs ${(signature.inputs ?? []).map(spec).join('; ')}; outputs ${(signature.outputs ?? []).map(spec).join('; ')}`
      : 'signature: -'
  );
  if (v.labels) lines.push(`labels: ${v.labels.map((label) => shown(label)).join(', ')}`);
  lines.push(
    `artifact sha256: ${v.artifactSha256 ?? 'not recorded'}` +
      (v.artifact
        ? ` (model.onnx ${plural(v.artifact.bytes, 'byte')}, ${v.artifact.matchesManifest ? 'matches' : 'DOES NOT MATCH'})`
        : ' (model.onnx missing)')
  );
  lines.push(v.archived ? `archived: ${archivedText(v.archived)}` : 'archived: no');
  if (v.problem) lines.push(`problem: ${printable(v.problem, Number.POSITIVE_INFINITY)}`);
  return `${lines.join('\n')}\n`;
}

function changeText(verb: string, result: ChangeResult): string {
  if (!result.changed) return `model ${result.name}: nothing to do, ${result.version} already ${verb}\n`;
  const aliases = (a: ChangeResult['after']) => `champion ${a.champion ?? '-'}, challenger ${a.challenger ?? '-'}`;
  return `model ${result.name}: ${result.version} ${verb} (was ${aliases(result.before)}; now ${aliases(result.after)})\n`;
}

async function run(given: ModelsRequest, io: CommandIo, sink: AuditSink | undefined): Promise<void> {
  const request = 'name' in given ? { ...given, name: canonicalModelName(given.name) } : given;
  const out = (text: string, value: unknown) => io.stdout(request.json ? `${JSON.stringify(value, null, 2)}\n` : text);
  switch (request.action) {
    case 'list': {
      const models = await listModelSummaries(request.dir);
      const text =
        models.length === 0
          ? `no models in ${request.dir}\n`
          : table([
              ['NAME', 'CHAMPION', 'CHALLENGER', 'VERSIONS', 'ARCHIVED'],
              ...models.map((m) => [
                m.name,
                m.champion ?? '-',
                m.challenger ?? '-',
                String(m.versions),
                String(m.archived),
              ]),
            ]);
      return out(text, { models });
    }
    case 'show': {
      if (request.version === undefined) {
        const model = await describeModel(request.dir, request.name);
        return out(modelText(model), model);
      }
      const version = await describeVersion(request.dir, request.name, request.version);
      return out(versionText(request.name, version), version);
    }
    default:
      break;
  }
  const audit = sink ?? (request.stateDir ? FileAuditTrail.inStateDir(request.stateDir) : undefined);
  if (!audit) {
    throw new ModelsUsageError(
      "a change to the registry is written to the audit trail: give the backend's state folder with --state-dir (or NOCAI_STATE_DIR)"
    );
  }
  const context = cliContext(request.reason);
  switch (request.action) {
    case 'promote': {
      const result = await promote(
        request.dir,
        request.name,
        request.version,
        request.expectChampion !== undefined ? { expectedChampion: request.expectChampion } : {},
        context,
        audit
      );
      return out(changeText('is the champion', result), result);
    }
    case 'rollback': {
      const result = await rollback(request.dir, request.name, { toVersion: request.to }, context, audit);
      return out(changeText('is the champion again', result), result);
    }
    case 'archive': {
      const result = await archive(request.dir, request.name, request.version, context, audit);
      return out(changeText('is archived', result), result);
    }
  }
}

/**
 * Runs one `nocai models` action: 0 done, 2 refused (unknown model or version, archived, a
 * conflict, a damaged model; one sentence on stderr), 1 anything else. `audit` replaces the file
 * trail of `--state-dir` (tests, and callers that hold their own trail).
 */
export async function runModels(request: ModelsRequest, io: CommandIo = processIo, audit?: AuditSink): Promise<number> {
  try {
    // A file given as --dir would otherwise list "no models in …" and succeed, as an empty folder does.
    const info = statSync(request.dir, { throwIfNoEntry: false });
    if (!info?.isDirectory()) {
      io.stderr(
        `nocai models: ${printablePath(request.dir)} ${info ? 'is a file, not a folder' : 'does not exist'}; ` +
          'give the models folder with --dir (or NOCAI_MODELS_DIR).\n'
      );
      return 2;
    }
    await run(request, io, audit);
    return 0;
  } catch (error) {
    const message = printable(error instanceof Error ? error.message : String(error), Number.POSITIVE_INFINITY);
    io.stderr(`nocai models: ${message.endsWith('.') ? message : `${message}.`}\n`);
    return isRefusal(error) ? 2 : 1;
  }
}

export function registerModels(program: Command): void {
  const models = program
    .command('models')
    .addHelpText(
      'after',
      '\nExamples:\n  nocai models list --dir models\n  nocai models show department --dir models\n' +
        '  nocai models promote department v4 --dir models --state-dir .state --reason "beats v3 on the March holdout"\n' +
        '  nocai models rollback department --dir models --state-dir .state\n' +
        '  nocai models archive department v2 --dir models --state-dir .state'
    );
  const dirOption = () =>
    new Option('--dir <folder>', 'the models folder (the registry)').env('NOCAI_MODELS_DIR').makeOptionMandatory();
  const common = (command: Command) => command.addOption(dirOption()).option('--json', 'print JSON instead of text');
  const changing = (command: Command) =>
    common(command)
      .option('--reason <text>', 'why: kept in the alias history and the audit trail')
      .addOption(
        new Option('--state-dir <folder>', "the backend's state folder, whose audit trail records the change").env(
          'NOCAI_STATE_DIR'
        )
      );
  const exit = async (request: ModelsRequest) => {
    process.exitCode = await runModels(request);
  };

  common(
    models.command('list').description('the models with their champion, challenger and number of versions')
  ).action((flags: Common) => exit({ action: 'list', ...flags }));
  common(
    models
      .command('show')
      .description('a model: versions, metadata, aliases and their history; or one version')
      .argument('<name>')
      .argument('[version]')
  ).action((name: string, version: string | undefined, flags: Common) =>
    exit({ action: 'show', name, version, ...flags })
  );
  changing(
    models.command('promote').description('make a version the champion').argument('<name>').argument('<version>')
  )
    .option('--expect-champion <version>', 'refuse unless this version is the champion when the promotion happens')
    .action((name: string, version: string, flags: Changing & { expectChampion?: string }) =>
      exit({ action: 'promote', name, version, ...flags })
    );
  changing(
    models
      .command('rollback')
      .description('put the previous champion back, or an older version with --to')
      .argument('<name>')
  )
    .option('--to <version>', 'the version to go back to')
    .action((name: string, flags: Changing & { to?: string }) => exit({ action: 'rollback', name, ...flags }));
  changing(
    models
      .command('archive')
      .description('archive a version: kept, never served again')
      .argument('<name>')
      .argument('<version>')
  ).action((name: string, version: string, flags: Changing) => exit({ action: 'archive', name, version, ...flags }));
  // Loaded only when `nocai models …` runs, like every command.
  (require('./modelImport') as typeof import('./modelImport')).registerModelsImport(models);
}

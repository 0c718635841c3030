import { isDeepStrictEqual } from 'node:util';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { checkInput, PROBLEM_NAME, problemDefinitionSchema } from '@nocai/contract';
import type { ProblemDefinition, StoredProblem } from '@nocai/contract';
import { ProblemConflictError, ProblemDefinitionError, ProblemNotFoundError } from '../../domain/problems/errors';
import { writeAtomically } from '../registry/durableFiles';

/**
 * Problem definitions on disk (issue 12): one YAML file per problem, `<dir>/<name>.yaml`, which
 * people may also write or edit by hand, and every version ever saved under
 * `<dir>/.history/<name>/v<N>.json` (`{version, savedAt, definition}`, written once).
 *
 * Each change is a new version: through the API (create, update), or by hand — a file whose
 * content differs from its latest version is recorded as the next version the first time the
 * store reads it. Deleting removes the YAML file and keeps the history, so numbering continues if
 * the name comes back. A file that does not parse or validate is reported, never half-read: the
 * other problems are untouched.
 */

const HISTORY = '.history';
const YAML_SUFFIX = '.yaml';

export interface InvalidProblemFile {
  file: string;
  message: string;
}

const errnoCode = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code;

/** A definition from YAML text; `file` prefixes the refusal. */
export function parseProblemYaml(text: string, file: string): ProblemDefinition {
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    // The parser's first sentence names the line and column; the excerpt after it is left out.
    const first = document.errors[0].message.split('\n')[0].replace(/:$/, '');
    throw new ProblemDefinitionError(`${file}: not valid YAML: ${first}`);
  }
  const parsed = checkInput(problemDefinitionSchema, document.toJS(), { subject: 'the definition' });
  if (!parsed.success) throw new ProblemDefinitionError(`${file}: ${parsed.message}`);
  return parsed.data;
}

/** A definition from a request body (already JSON). */
export function parseProblemBody(body: unknown): ProblemDefinition {
  const parsed = checkInput(problemDefinitionSchema, body, { subject: 'the request body' });
  if (!parsed.success) throw new ProblemDefinitionError(parsed.message);
  return parsed.data;
}

/**
 * Runs a change's `save` once it is known what it changes (`before`, `after`; null for none),
 * within the store's turn: the audit trail records it first (`recordThenSave`).
 */
export type ProblemChangeGuard = <T>(
  before: StoredProblem | null,
  after: StoredProblem | null,
  save: () => Promise<T>
) => Promise<T>;

const unguarded: ProblemChangeGuard = (_before, _after, save) => save();

export class ProblemStore {
  /** Changes run one at a time: a read that records a hand edit is a change too. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string) {}

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private fileOf(name: string): string {
    if (!PROBLEM_NAME.test(name)) throw new ProblemNotFoundError(name);
    return join(this.dir, `${name}${YAML_SUFFIX}`);
  }

  private historyDir(name: string): string {
    return join(this.dir, HISTORY, name);
  }

  private async history(name: string): Promise<number[]> {
    let entries: string[];
    try {
      entries = await readdir(this.historyDir(name));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return [];
      throw error;
    }
    return entries
      .map((e) => /^v(\d+)\.json$/.exec(e)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  private async readVersion(name: string, version: number): Promise<StoredProblem> {
    const text = await readFile(join(this.historyDir(name), `v${version}.json`), 'utf8');
    return JSON.parse(text) as StoredProblem;
  }

  /** The version `definition` becomes when it is saved next. */
  private async nextVersion(name: string, definition: ProblemDefinition): Promise<StoredProblem> {
    const versions = await this.history(name);
    return { definition, version: (versions[versions.length - 1] ?? 0) + 1, savedAt: new Date().toISOString() };
  }

  private async appendVersion(name: string, definition: ProblemDefinition): Promise<StoredProblem> {
    return this.saveVersion(name, await this.nextVersion(name, definition));
  }

  private async saveVersion(name: string, stored: StoredProblem): Promise<StoredProblem> {
    await mkdir(this.historyDir(name), { recursive: true });
    await writeAtomically(
      join(this.historyDir(name), `v${stored.version}.json`),
      `${JSON.stringify(stored, null, 2)}\n`
    );
    return stored;
  }

  /** The current definition of `name` from its YAML file, recorded as a version if it changed; undefined when absent. */
  private async current(name: string): Promise<StoredProblem | undefined> {
    const file = this.fileOf(name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    const definition = parseProblemYaml(text, `${name}${YAML_SUFFIX}`);
    if (definition.name !== name) {
      throw new ProblemDefinitionError(`${name}${YAML_SUFFIX}: name must be the file's name, ${name}`);
    }
    const versions = await this.history(name);
    const latest = versions.length ? await this.readVersion(name, versions[versions.length - 1]) : undefined;
    if (latest && isDeepStrictEqual(latest.definition, definition)) return latest;
    return this.appendVersion(name, definition);
  }

  /** Every valid problem (current versions), and the files that are not. */
  list(): Promise<{ problems: StoredProblem[]; invalid: InvalidProblemFile[] }> {
    return this.exclusive(async () => {
      let entries: string[];
      try {
        entries = await readdir(this.dir);
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') return { problems: [], invalid: [] };
        throw error;
      }
      const problems: StoredProblem[] = [];
      const invalid: InvalidProblemFile[] = [];
      for (const entry of entries.filter((e) => e.endsWith(YAML_SUFFIX)).sort()) {
        const name = entry.slice(0, -YAML_SUFFIX.length);
        if (!PROBLEM_NAME.test(name)) {
          invalid.push({ file: entry, message: `${entry}: the file name must be a problem name followed by .yaml` });
          continue;
        }
        try {
          const stored = await this.current(name);
          if (stored) problems.push(stored);
        } catch (error) {
          if (!(error instanceof ProblemDefinitionError)) throw error;
          invalid.push({ file: entry, message: error.message });
        }
      }
      return { problems, invalid };
    });
  }

  /** The current definition, or a stored version of it (also after the problem was deleted). */
  get(name: string, version?: number): Promise<StoredProblem> {
    return this.exclusive(async () => {
      if (version !== undefined) {
        this.fileOf(name);
        if (!(await this.history(name)).includes(version)) {
          throw new ProblemNotFoundError(`${name} version ${version}`);
        }
        return this.readVersion(name, version);
      }
      const stored = await this.current(name);
      if (!stored) throw new ProblemNotFoundError(name);
      return stored;
    });
  }

  /** Versions of `name`, oldest first, with when each was saved. */
  versions(name: string): Promise<Array<{ version: number; savedAt: string }>> {
    return this.exclusive(async () => {
      this.fileOf(name);
      const list = await this.history(name);
      if (list.length === 0) throw new ProblemNotFoundError(name);
      const out: Array<{ version: number; savedAt: string }> = [];
      for (const v of list) out.push({ version: v, savedAt: (await this.readVersion(name, v)).savedAt });
      return out;
    });
  }

  /** Saves a new problem; refused when one of that name exists. */
  create(definition: ProblemDefinition, guard: ProblemChangeGuard = unguarded): Promise<StoredProblem> {
    return this.exclusive(async () => {
      if (await this.current(definition.name)) {
        throw new ProblemConflictError(`a problem named ${definition.name} exists: change it with PUT`);
      }
      const after = await this.nextVersion(definition.name, definition);
      return guard(null, after, () => this.write(after));
    });
  }

  /** Replaces a problem's definition: a new version unless nothing changed. Returns it and the one before. */
  update(
    name: string,
    definition: ProblemDefinition,
    guard: ProblemChangeGuard = unguarded
  ): Promise<{ before: StoredProblem; after: StoredProblem }> {
    return this.exclusive(async () => {
      if (definition.name !== name) {
        throw new ProblemDefinitionError(
          `name must be ${name}, the problem being changed (renaming is create + delete)`
        );
      }
      const before = await this.current(name);
      if (!before) throw new ProblemNotFoundError(name);
      if (isDeepStrictEqual(before.definition, definition)) return { before, after: before };
      const after = await this.nextVersion(name, definition);
      return { before, after: await guard(before, after, () => this.write(after)) };
    });
  }

  /** Removes a problem's YAML file (its versions stay); returns what it was. */
  delete(name: string, guard: ProblemChangeGuard = unguarded): Promise<StoredProblem> {
    return this.exclusive(async () => {
      const before = await this.current(name);
      if (!before) throw new ProblemNotFoundError(name);
      return guard(before, null, async () => {
        await unlink(this.fileOf(name));
        return before;
      });
    });
  }

  private async write(stored: StoredProblem): Promise<StoredProblem> {
    const { definition } = stored;
    await mkdir(this.dir, { recursive: true });
    // The version first: a crash between the two leaves the old file, which the next read records
    // as the latest version again, so the history never claims a file content that was not there.
    await this.saveVersion(definition.name, stored);
    await writeAtomically(this.fileOf(definition.name), stringify(definition, { lineWidth: 120 }));
    return stored;
  }
}

import { mkdir, mkdtemp, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errnoCode, InputFileError, printable, printablePath } from './csv';

/** Why a folder could not be created or written to, in words, from the errno code. */
function reason(error: unknown): string {
  const code = errnoCode(error);
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'the disk quota is exceeded';
    case 'ENOENT':
      // The parent exists (it was checked) yet refuses new entries: /proc, /sys and the like.
      return 'that file system takes no new folders';
    default:
      return code ?? printable(String(error));
  }
}

const isMissing = (error: unknown) => errnoCode(error) === 'ENOENT';

/**
 * Makes `dir` and its missing parents, proves that it takes new entries, and checks that none of
 * `subfolders` (the folders the command will write inside it) is a file; otherwise throws an
 * `InputFileError` saying in one sentence what is in the way. Called before any long work, so a
 * run never ends on an output folder it could not use.
 *
 * Each folder is made on its own instead of with `mkdir(dir, { recursive: true })`: node's
 * recursive mkdir retries forever, at full CPU, where a parent exists but answers ENOENT (/proc).
 */
export async function prepareOutputFolder(dir: string, subfolders: readonly string[] = []): Promise<void> {
  const shown = printablePath(dir);
  // Walk up to the nearest path that exists; it must be a folder.
  const missing: string[] = [];
  let path = dir;
  for (;;) {
    try {
      const info = await stat(path);
      if (!info.isDirectory()) {
        throw new InputFileError(
          path === dir
            ? `${shown} is a file, not a folder.`
            : `cannot create ${shown}: ${printablePath(path)} is a file, not a folder.`
        );
      }
      break;
    } catch (error) {
      if (error instanceof InputFileError) throw error;
      // ENOTDIR: a parent further up is a file; keep walking up to name it.
      if (!isMissing(error) && errnoCode(error) !== 'ENOTDIR') {
        throw new InputFileError(`cannot write to ${shown}: ${reason(error)}.`);
      }
      const parent = dirname(path);
      if (parent === path) throw new InputFileError(`cannot create ${shown}: ${reason(error)}.`);
      missing.unshift(path);
      path = parent;
    }
  }
  for (const folder of missing) {
    try {
      await mkdir(folder);
    } catch (error) {
      // Made by someone else in the meantime: fine if it is a folder, which the probe below proves.
      if (errnoCode(error) !== 'EEXIST') throw new InputFileError(`cannot create ${shown}: ${reason(error)}.`);
    }
  }
  try {
    await rmdir(await mkdtemp(join(dir, '.nocai-write-check-')));
  } catch (error) {
    throw new InputFileError(`cannot write to ${shown}: ${reason(error)}.`);
  }
  for (const name of subfolders) {
    const folder = join(dir, name);
    const info = await stat(folder).catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw new InputFileError(`cannot write to ${printablePath(folder)}: ${reason(error)}.`);
    });
    if (info && !info.isDirectory()) throw new InputFileError(`${printablePath(folder)} is a file, not a folder.`);
  }
}

/**
 * Prepares the folder of the file `out` (as `prepareOutputFolder`) and checks that `out` itself is
 * not a folder: a command that writes one file calls it before its work, so a path it cannot write
 * is one sentence and exit code 2 up front rather than an errno after minutes of reading.
 */
export async function prepareOutputFile(out: string): Promise<void> {
  await prepareOutputFolder(dirname(out));
  const info = await stat(out).catch(() => undefined);
  if (info?.isDirectory()) throw new InputFileError(`--out ${printablePath(out)} is a folder, not a file.`);
}

/** Writes `out` (checked by `prepareOutputFile`); a failure is one sentence naming the file. */
export async function writeOutputFile(out: string, text: string): Promise<void> {
  try {
    await writeFile(out, text, 'utf8');
  } catch (error) {
    throw new InputFileError(`cannot write ${printablePath(out)}: ${reason(error)}.`);
  }
}

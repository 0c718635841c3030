import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateStore } from '../../domain/state';

const errnoCode = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code;

/** What an operator should read when the state cannot be saved: the cause in words, and what still holds. */
function saveFailure(file: string, error: unknown): Error {
  const code = errnoCode(error);
  const cause =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'the disk is full'
      : code === 'EROFS'
        ? 'the file system is read-only'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : (error as Error).message;
  return new Error(
    `state file ${file} cannot be saved (${cause}${code ? `, ${code}` : ''}): the previous state is kept ` +
      'and the batch will be retried'
  );
}

/**
 * JSON state on disk, one file per key, replaced atomically: write a temporary file, fsync it,
 * rename it over the old one, fsync the folder. A crash leaves either the old or the new state,
 * never a torn file; a failed save (disk full, read-only) removes its temporary file, so it
 * leaves nothing behind and gives the space back.
 */
export class FileStateStore implements StateStore {
  constructor(private readonly dir: string) {}

  async load<T>(key: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.path(key), 'utf8')) as T;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw new Error(`state file ${this.path(key)} cannot be read: ${(error as Error).message}`);
    }
  }

  async save<T>(key: string, value: T): Promise<void> {
    const target = this.path(key);
    const temporary = `${target}.${process.pid}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true });
      const file = await open(temporary, 'w');
      try {
        await file.writeFile(JSON.stringify(value));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw saveFailure(target, error);
    }
    // The rename is done: a failure to sync the folder can no longer leave a torn file.
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  private path(key: string): string {
    if (!/^[a-z0-9_-]+$/i.test(key)) throw new Error(`invalid state key ${key}`);
    return join(this.dir, `${key}.json`);
  }
}

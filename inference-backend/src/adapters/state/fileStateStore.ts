import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateStore } from '../../domain/state';

/**
 * JSON state on disk, one file per key, replaced atomically: write a temporary file, fsync it,
 * rename it over the old one, fsync the folder. A crash leaves either the old or the new state,
 * never a torn file.
 */
export class FileStateStore implements StateStore {
  constructor(private readonly dir: string) {}

  async load<T>(key: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.path(key), 'utf8')) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`state file ${this.path(key)} cannot be read: ${(error as Error).message}`);
    }
  }

  async save<T>(key: string, value: T): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const target = this.path(key);
    const temporary = `${target}.${process.pid}.tmp`;
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(JSON.stringify(value));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, target);
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

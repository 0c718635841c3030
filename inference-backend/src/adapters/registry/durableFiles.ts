import { mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `file` with `text` so that a crash leaves the old or the new content, never a torn file:
 * write a temporary file, fsync it, rename it over the old one, fsync the folder.
 */
export async function writeAtomically(file: string, text: string | Uint8Array): Promise<void> {
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  await syncFolder(dirname(file));
}

/** Appends one line to `file` (created when missing) and fsyncs it before returning. */
export async function appendLineDurably(file: string, line: string): Promise<void> {
  const handle = await open(file, 'a');
  try {
    await handle.appendFile(`${line}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Folders being written by `writeFolderAtomically` start with this; nothing reads them as a version. */
export const STAGING_PREFIX = '.staging-';

/**
 * Creates the folder `dir` with `files` (name → content) so that a crash leaves it complete or
 * absent: the files are written and fsynced in a staging folder next to it, which is renamed to
 * `dir` once whole, then the parent is fsynced. Refuses (EEXIST) when `dir` already exists. The
 * caller holds the lock of the parent (a model's folder), under which staging folders left by a
 * writer that died are removed first.
 */
export async function writeFolderAtomically(
  dir: string,
  files: Readonly<Record<string, string | Uint8Array>>,
  beforeRename: () => Promise<void> = async () => undefined
): Promise<void> {
  const parent = dirname(dir);
  for (const entry of await readdir(parent)) {
    if (entry.startsWith(STAGING_PREFIX)) await rm(join(parent, entry), { recursive: true, force: true });
  }
  const staging = await mkdtemp(join(parent, STAGING_PREFIX));
  try {
    for (const [name, content] of Object.entries(files)) {
      const handle = await open(join(staging, name), 'w');
      try {
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    await syncFolder(staging);
    await beforeRename();
    // rename(2) would replace an empty folder of that name: look first (the lock keeps writers apart).
    const exists = await stat(dir).then(
      () => true,
      () => false
    );
    if (exists) throw Object.assign(new Error(`${dir} already exists`), { code: 'EEXIST' });
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
  await syncFolder(parent);
}

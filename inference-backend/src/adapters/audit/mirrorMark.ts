import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Beside the trail: the seq of the last entry known to be mirrored to `aiops_audit`. */
export const MIRROR_MARK = 'mirrored.json';

/**
 * The seq `mirrored.json` in `dir` records, 0 when there is no mark (a trail never mirrored, or from
 * before the mark) or a damaged one.
 */
export async function readMirrorMark(dir: string): Promise<number> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, MIRROR_MARK), 'utf8')) as { seq?: unknown };
    if (typeof parsed.seq === 'number' && Number.isInteger(parsed.seq) && parsed.seq >= 0) return parsed.seq;
  } catch {
    // No mark or a damaged one: nothing is known to be mirrored.
  }
  return 0;
}

import { chmod, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputFileError } from './csv';
import { prepareOutputFolder } from './outputFolder';

describe('prepareOutputFolder', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-output-folder-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('When the folder and its parents are missing, then it makes them all and leaves nothing else inside', async () => {
    const out = join(dir, 'a', 'b', 'models');
    await prepareOutputFolder(out, ['department']);
    expect((await stat(out)).isDirectory()).toBe(true);
    expect(await readdir(out)).toEqual([]);
  });

  it('When the folder exists with model folders in it, then it is accepted as it is', async () => {
    const out = join(dir, 'existing');
    await mkdir(join(out, 'department'), { recursive: true });
    await expect(prepareOutputFolder(out, ['department', 'priority'])).resolves.toBeUndefined();
    expect(await readdir(out)).toEqual(['department']);
  });

  // root writes anywhere, so the real check only runs as another user.
  const itUnlessRoot = process.getuid?.() === 0 ? it.skip : it;
  itUnlessRoot('When the folder is not writable by the user, then it says permission denied', async () => {
    const locked = join(dir, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o500);
    try {
      const error: unknown = await prepareOutputFolder(locked).catch((e) => e);
      expect(error).toBeInstanceOf(InputFileError);
      expect((error as Error).message).toBe(`cannot write to ${locked}: permission denied.`);
    } finally {
      await chmod(locked, 0o700);
    }
  });
});

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChampionWatch } from './championWatch';

describe('ChampionWatch', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-watch-'));
    for (const version of ['v1', 'v2']) await mkdir(join(dir, 'department', version), { recursive: true });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** What another replica's promotion leaves on the shared registry. */
  const aliases = (value: object) => writeFile(join(dir, 'department', 'aliases.json'), JSON.stringify(value));

  it('When another replica promotes a model, then this one reloads once, at its next look', async () => {
    let nowMs = 0;
    let reloads = 0;
    const watch = new ChampionWatch(dir, { nowMs: () => nowMs }, async () => void reloads++, 30_000);
    await aliases({ champion: 'v1' });
    expect(await watch.tick()).toBe(0); // what was there at start is what was loaded

    await aliases({ champion: 'v2' });
    nowMs += 10_000;
    expect(await watch.tick()).toBe(0); // not due yet
    nowMs += 20_000;
    expect(await watch.tick()).toBe(1);
    expect(reloads).toBe(1);
    nowMs += 30_000;
    expect(await watch.tick()).toBe(0);

    await aliases({ champion: 'v2', challenger: 'v1' });
    nowMs += 30_000;
    expect(await watch.tick()).toBe(1);
    expect(reloads).toBe(2);
  });
});

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listModels, listVersions, loadModel, saveModel, setAlias } from './modelRegistry';
import { readAliasHistory } from './registryFiles';
import { draftManifest } from './registryFixture';

const draft = draftManifest;

describe('model registry', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-registry-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('When two versions are saved and one is made champion, then loading by alias and by version finds the right files', async () => {
    const first = await saveModel(dir, draft('department'), new Uint8Array([1]));
    await setAlias(dir, 'department', 'champion', first.version);
    const second = await saveModel(dir, draft('department'), new Uint8Array([2]));
    expect([first.version, second.version]).toEqual(['v1', 'v2']);
    expect(second.parentVersion).toBe('v1');
    expect(await listVersions(dir, 'department')).toEqual(['v1', 'v2']);
    expect(await listModels(dir)).toEqual(['department']);
    expect(Array.from((await loadModel(dir, 'department', 'champion')).onnx)).toEqual([1]);
    expect((await loadModel(dir, 'department', 'v2')).manifest.version).toBe('v2');
    expect((await loadModel(dir, 'department', 'latest')).manifest.version).toBe('v2');

    await setAlias(dir, 'department', 'challenger', 'v2');
    expect(JSON.parse(await readFile(join(dir, 'department', 'aliases.json'), 'utf8'))).toEqual({
      champion: 'v1',
      challenger: 'v2',
    });
    // The atomic write leaves no temporary file (nor the writer's lock) behind; the history has both moves.
    expect((await readdir(join(dir, 'department'))).sort()).toEqual(['aliases.json', 'aliases.jsonl', 'v1', 'v2']);
    expect((await readAliasHistory(dir, 'department')).map((c) => [c.alias, c.from, c.to])).toEqual([
      ['champion', null, 'v1'],
      ['challenger', null, 'v2'],
    ]);
  });

  it('When an alias points nowhere or a name tries to leave the registry, then it fails with a clear message', async () => {
    await saveModel(dir, draft('priority'), new Uint8Array([1]));
    await expect(loadModel(dir, 'priority', 'champion')).rejects.toThrow('model priority has no champion');
    await expect(setAlias(dir, 'priority', 'champion', 'v9')).rejects.toThrow('has no version v9');
    await expect(loadModel(dir, '../etc', 'v1')).rejects.toThrow(/invalid model name/);
  });
});

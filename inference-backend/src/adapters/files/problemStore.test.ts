import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { problemDefinitionSchema } from '@nocai/contract';
import { ProblemConflictError, ProblemDefinitionError, ProblemNotFoundError } from '../../domain/problems/errors';
import { ProblemStore } from './problemStore';

const definition = (horizon = '2h') =>
  problemDefinitionSchema.parse({
    name: 'freezer-warm',
    event: { kind: 'threshold', measurement: 'freezer', field: 'temperature_c', operator: '>', value: -18, for: '10m' },
    horizon,
    variables: { include: ['freezer.*'] },
    training: { from: '2026-01-01T00:00:00Z', to: '2026-01-21T00:00:00Z' },
    validation: { from: '2026-01-21T00:00:00Z', to: '2026-01-28T00:00:00Z' },
    department: 'facilities',
  });

describe('ProblemStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-problems-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('When a problem is created and changed, then each change is a new version and the old ones stay readable', async () => {
    const store = new ProblemStore(dir);
    expect((await store.create(definition())).version).toBe(1);
    await expect(store.create(definition())).rejects.toThrow(ProblemConflictError);
    const { before, after } = await store.update('freezer-warm', definition('3h'));
    expect([before.version, after.version]).toEqual([1, 2]);
    // Saving the same definition again changes nothing.
    expect((await store.update('freezer-warm', definition('3h'))).after.version).toBe(2);
    expect((await store.get('freezer-warm')).definition.horizon).toBe('3h');
    expect((await store.get('freezer-warm', 1)).definition.horizon).toBe('2h');
    expect((await store.versions('freezer-warm')).map((v) => v.version)).toEqual([1, 2]);
    // The file people edit is plain YAML.
    expect(await readFile(join(dir, 'freezer-warm.yaml'), 'utf8')).toContain('horizon: 3h');
  });

  it('When someone edits the YAML file by hand, then the store records the edit as the next version', async () => {
    const store = new ProblemStore(dir);
    await store.create(definition());
    const file = join(dir, 'freezer-warm.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('horizon: 2h', 'horizon: 90m'));
    const current = await store.get('freezer-warm');
    expect([current.version, current.definition.horizon]).toEqual([2, '90m']);
  });

  it('When a file in the folder is malformed, then it is reported by name and field and the other problems still load', async () => {
    const store = new ProblemStore(dir);
    await store.create(definition());
    await writeFile(join(dir, 'broken.yaml'), 'name: broken\nhorizon: [unclosed\n');
    await writeFile(join(dir, 'wrong.yaml'), 'name: wrong\nhorizon: soon\n');
    const { problems, invalid } = await store.list();
    expect(problems.map((p) => p.definition.name)).toEqual(['freezer-warm']);
    expect(invalid.map((i) => i.file)).toEqual(['broken.yaml', 'wrong.yaml']);
    expect(invalid[0].message).toMatch(/^broken\.yaml: not valid YAML: .*line \d+/);
    expect(invalid[1].message).toMatch(/^wrong\.yaml: /);
    await expect(store.get('wrong')).rejects.toThrow(ProblemDefinitionError);
  });

  it('When a problem is deleted, then it is gone but its versions remain and numbering continues if it comes back', async () => {
    const store = new ProblemStore(dir);
    await store.create(definition());
    await store.delete('freezer-warm');
    await expect(store.get('freezer-warm')).rejects.toThrow(ProblemNotFoundError);
    expect((await store.get('freezer-warm', 1)).definition.name).toBe('freezer-warm');
    expect((await store.create(definition('4h'))).version).toBe(2);
  });

  it('When the name in the file differs from the file name, then it is refused naming the field', async () => {
    const store = new ProblemStore(dir);
    await store.create(definition());
    const file = join(dir, 'freezer-warm.yaml');
    await writeFile(join(dir, 'other.yaml'), await readFile(file, 'utf8'));
    const { invalid } = await store.list();
    expect(invalid).toEqual([{ file: 'other.yaml', message: "other.yaml: name must be the file's name, other" }]);
  });
});

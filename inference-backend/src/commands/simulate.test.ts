import { Command, CommanderError } from 'commander';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventoryFile } from '../adapters/files/inventory';
import { registerSimulate } from './simulate';

function program(output: { out: string; err: string }): Command {
  const p = new Command()
    .name('nocai')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (output.out += s), writeErr: (s) => (output.err += s) });
  registerSimulate(p);
  return p;
}

const readLines = async (file: string) => (await readFile(file, 'utf8')).trimEnd().split('\n');

describe('nocai simulate', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-simulate-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('When run for a day into a file, then it writes line protocol, inventory, ground truth and ticket history', async () => {
    const output = { out: '', err: '' };
    const lp = join(dir, 'telegraf.lp');
    await program(output).parseAsync(
      [
        'simulate',
        '--days',
        '1',
        '--end',
        '2024-03-06T00:00:00Z',
        '--out-file',
        lp,
        '--out-dir',
        dir,
        '--quiet',
      ].concat(['--history-days', '60', '--scenario', 'power_failure@2024-03-05T12:00:00Z@hospital']),
      { from: 'user' }
    );
    const points = await readLines(lp);
    expect(points.length).toBeGreaterThan(100_000);
    const syslog = points.filter((l) => l.startsWith('syslog,'));
    expect(await readLines(join(dir, 'truth', 'events.jsonl'))).toHaveLength(syslog.length);
    const incidents = (await readLines(join(dir, 'truth', 'incidents.jsonl'))).map(
      (l) => JSON.parse(l) as { kind: string; id: string }
    );
    expect(incidents.some((i) => i.kind === 'power_failure' && i.id.startsWith('inj-hosp-01'))).toBe(true);
    const inventory = await loadInventoryFile(join(dir, 'inventory.yaml'));
    expect(inventory.sites).toHaveLength(4);
    const csv = await readLines(join(dir, 'history', 'tickets.csv'));
    expect(csv[0]).toMatch(/^id,opened_at,resolved_at,site,site_kind,host,device_kind,class,department,priority/);
    expect((await readLines(join(dir, 'history', 'tickets.jsonl'))).length).toBe(csv.length - 1);
    expect(output.err).toBe('');
  }, 300_000);

  it('When an option is malformed, then it fails with one sentence about that option', async () => {
    const output = { out: '', err: '' };
    const parse = program(output).parseAsync(['simulate', '--days', 'many', '--out-file', join(dir, 'x.lp')], {
      from: 'user',
    });
    await expect(parse).rejects.toBeInstanceOf(CommanderError);
    expect(output.err).toMatch(/--days must be an integer ≥ 0\./);
    expect(output.err.trim().split('\n')).toHaveLength(1);
  });

  it('When a scenario names nothing in the inventory, then it exits with status 2 and says why', async () => {
    const output = { out: '', err: '' };
    const parse = program(output).parseAsync(
      ['simulate', '--days', '1', '--out-file', join(dir, 'x.lp'), '--scenario', 'disk_full@2024-03-05T12:00:00Z@mars'],
      { from: 'user' }
    );
    await expect(parse).rejects.toMatchObject({ exitCode: 2 });
    expect(output.err).toMatch(/"mars" is neither a site, a site kind nor a host/);
  });

  it.each([
    [['--live', '--end', '2999-01-01T00:00:00Z'], /--end is in the future: live time cannot start after now/],
    [['--days', '1', '--replay', '30'], /--replay needs --live or --speed/],
    [['--speed', '30', '--replay', '30', '--end', '2024-03-06T00:00:00Z'], /pass --end or --replay, not both/],
  ])(
    'When where live time starts is contradictory (%j), then it exits with status 2 and says why',
    async (args, message) => {
      const output = { out: '', err: '' };
      const parse = program(output).parseAsync(
        ['simulate', ...args, '--out-file', join(dir, 'x.lp'), '--out-dir', dir],
        {
          from: 'user',
        }
      );
      await expect(parse).rejects.toMatchObject({ exitCode: 2 });
      expect(output.err).toMatch(message);
    }
  );

  it('When asked for help, then every option is described', async () => {
    const output = { out: '', err: '' };
    await expect(program(output).parseAsync(['simulate', '--help'], { from: 'user' })).rejects.toMatchObject({
      exitCode: 0,
    });
    for (const flag of [
      '--days',
      '--end',
      '--live',
      '--speed',
      '--replay',
      '--seed',
      '--sites',
      '--inventory',
      '--scenario',
      '--out-file',
    ]) {
      expect(output.out).toContain(flag);
    }
    for (const flag of [
      '--influx-url',
      '--database',
      '--token',
      '--username',
      '--password',
      '--out-dir',
      '--history-days',
    ]) {
      expect(output.out).toContain(flag);
    }
  });
});

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CLI } from '../support/backendProcess';

const ROOT = resolve(__dirname, '../..');
/** The file npm links as `nocai` (package.json "bin"), which `npx nocai` runs. */
const BIN = join(ROOT, 'inference-backend', 'bin', 'nocai.js');

const nocai = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

/** The commands `nocai --help` lists, each with the first words of its description. */
function listedCommands(help: string): Array<[string, string]> {
  const section = help.split('\nCommands:\n')[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z]+) +(\S+ \S+)/gm)]
    .map((m): [string, string] => [m[1], m[2]])
    .filter(([name]) => name !== 'help');
}

describe('the nocai command line', () => {
  let help: ReturnType<typeof nocai>;
  beforeAll(() => {
    help = nocai(['--help']);
  });

  it('When run with --help, then it lists the commands with what they do and exits 0', () => {
    expect(help.status).toBe(0);
    expect(listedCommands(help.stdout).map(([name]) => name)).toEqual(
      expect.arrayContaining(['serve', 'simulate', 'demo', 'train', 'setup', 'predict', 'templates', 'labels'])
    );
  });

  // A command is registered in full only when it is named: each must still come with its options and help.
  it('When asked for the help of each command, then it shows its usage, its description and options', () => {
    for (const [name, start] of listedCommands(help.stdout)) {
      for (const args of [
        [name, '--help'],
        ['help', name],
      ]) {
        const result = nocai(args);
        expect(result.status).toBe(0);
        // Commands with subcommands (`models`, `audit`) read `[options] [command]`.
        const usage = result.stdout.startsWith(`Usage: nocai ${name} [options] [command]`)
          ? `Usage: nocai ${name} [options] [command]`
          : `Usage: nocai ${name} [options]`;
        expect(result.stdout.startsWith(`${usage}\n\n${start}`)).toBe(true);
        expect(result.stdout).toMatch(/^ {2}-h, --help +display help for command$/m);
      }
    }
  });

  it('When a command is mistyped, then it exits 2 and suggests the right one', () => {
    const result = nocai(['trian']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("error: unknown command 'trian'\n(Did you mean train?)");
  });

  it('When npx nocai is run at the repository root, then the workspace bin answers, without the registry', () => {
    // --no: fail instead of fetching a package named nocai if the bin were not linked.
    const result = spawnSync('npm', ['exec', '--no', '--', 'nocai', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: nocai \[options\] \[command\]/);
  });

  it('When the CLI has not been built yet (a fresh clone after npm ci), then the bin says in one sentence how to build it', () => {
    const clone = mkdtempSync(join(tmpdir(), 'nocai-unbuilt-'));
    try {
      mkdirSync(join(clone, 'bin'));
      copyFileSync(BIN, join(clone, 'bin', 'nocai.js'));
      const result = spawnSync(process.execPath, [join(clone, 'bin', 'nocai.js'), '--help'], { encoding: 'utf8' });
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        'nocai: the CLI is not built yet (inference-backend/dist/cli.js is missing): ' +
          'run `npm run build:backend` at the repository root, then try again.\n'
      );
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  });
});

import { freePort } from '../../inference-backend/src/adapters/influx/localServer';
import { runCli } from '../support/backendProcess';
import { testInfluxUrl } from '../support/influx';

async function run(args: string[], env: Record<string, string>) {
  const proc = runCli(args, env);
  const code = await proc.exited;
  return { code, output: proc.output() };
}

function expectOneSentence(output: string) {
  const lines = output.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(output).not.toMatch(/\n\s+at /);
}

describe('nocai serve with bad configuration', () => {
  it('When InfluxDB is unreachable, then it says so in one sentence and exits 1', async () => {
    const port = await freePort();
    const { code, output } = await run(['serve'], { INFLUX_URL: `http://127.0.0.1:${port}`, NOCAI_API_TOKEN: 't' });
    expect(code).toBe(1);
    expect(output.trim()).toBe(`nocai: Cannot reach InfluxDB at http://127.0.0.1:${port}: ECONNREFUSED. Check INFLUX_URL.`);
  });

  it('When INFLUX_URL is malformed, then it says which variable and exits 2', async () => {
    const { code, output } = await run(['serve'], { INFLUX_URL: 'influx:8086:x', NOCAI_API_TOKEN: 't' });
    expect(code).toBe(2);
    expectOneSentence(output);
    expect(output).toMatch(/^nocai: INFLUX_URL must be an http\(s\) URL/);
  });

  it('When the API token is missing, then it says how to set it and exits 2', async () => {
    const { code, output } = await run(['serve'], { INFLUX_URL: testInfluxUrl() });
    expect(code).toBe(2);
    expectOneSentence(output);
    expect(output).toMatch(/^nocai: NOCAI_API_TOKEN is required/);
  });

  it('When an unknown subcommand is given, then it exits 2 with a hint', async () => {
    const { code, output } = await run(['sevre'], {});
    expect(code).toBe(2);
    expect(output).toMatch(/unknown command 'sevre'/);
  });

  it.each([['serve'], ['simulate'], ['demo'], ['setup'], ['train'], ['predict'], ['templates'], ['labels']])('When %s --help is asked, then it describes its options and exits 0', async (command) => {
    const { code, output } = await run([command, '--help'], {});
    expect(code).toBe(0);
    expect(output).toContain(`Usage: nocai ${command}`);
  });
});

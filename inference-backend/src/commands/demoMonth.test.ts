import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MODEL_SPECS } from './train';
import { prepareMonth } from './demoMonth';
import { runModels } from './models';
import type { CommandIo } from './commandInput';

describe('the month of nocai demo', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-demo-month-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('When the month is prepared, then nocai models show says nocai demo made its champions and from what', async () => {
    const plan = await prepareMonth(dir, Date.UTC(2025, 5, 18), () => undefined);
    for (const { name } of DEFAULT_MODEL_SPECS.tickets) {
      let out = '';
      const io: CommandIo = { stdout: (text) => (out += text), stderr: () => undefined };
      expect(await runModels({ action: 'show', dir: plan.modelsDir, name, version: 'v1' }, io)).toBe(0);
      expect(out).toContain(' by setup:nocai demo\n');
      expect(out).toContain(
        'reason: champion of the nocai demo month, trained on the eight months of simulated tickets before it\n'
      );
    }
  }, 300_000);
});

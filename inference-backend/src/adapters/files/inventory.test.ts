import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventoryFile } from './inventory';

describe('loadInventoryFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-inventory-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('When a site has a kind the inventory does not know, then the error names the file, the field and the kinds', async () => {
    const file = join(dir, 'inventory.yaml');
    await writeFile(
      file,
      [
        'sites:',
        '  - {id: school-1, name: North School, kind: school, criticality: 2}',
        'devices:',
        '  - {host: school-1-sw-01, site: school-1, kind: network_switch}',
      ].join('\n')
    );
    await expect(loadInventoryFile(file)).rejects.toThrow(
      `inventory ${file} is invalid: sites.0.kind must be one of hospital, factory, hotel, smart_city (got "school")`
    );
  });

  it('When the file holds a list instead of sites and devices, then the error says what the inventory must be', async () => {
    const file = join(dir, 'list.yaml');
    await writeFile(file, '- school-1\n');
    await expect(loadInventoryFile(file)).rejects.toThrow(
      `inventory ${file} is invalid: the inventory must be an object (got a list of 1 item)`
    );
  });
});

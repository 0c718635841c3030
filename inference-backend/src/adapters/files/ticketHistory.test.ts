import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputFileError } from './csv';
import { loadTicketHistory } from './ticketHistory';

describe('loadTicketHistory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-history-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('When given a directory, then it says it is a directory, not a missing file', async () => {
    await expect(loadTicketHistory(dir)).rejects.toThrow(new InputFileError(`${dir} is a directory, not a file.`));
  });

  it('When given a binary file, then it says so instead of quoting its bytes', async () => {
    const png = join(dir, 'tickets.png');
    await writeFile(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
    await expect(loadTicketHistory(png)).rejects.toThrow(
      new InputFileError(`${png} looks like a binary file, not CSV/JSONL/text.`)
    );
  });

  const row = {
    id: 'T-1',
    opened_at: '2024-03-05T12:00:00Z',
    resolved_at: '2024-03-05T13:00:00Z',
    site: 'hosp-01',
    site_kind: 'hospital',
    host: 'hosp-01-ps-01',
    device_kind: 'power_switch',
    class: 'power',
    department: 'facilities',
    priority: 'P1',
    title: 'UPS on battery',
    description: '',
    resolution: 'replaced the fuse',
    incident_id: '',
  };

  it('When a row has a field of the wrong kind, then the error names the line, the field and what it takes', async () => {
    const file = join(dir, 'tickets.jsonl');
    await writeFile(file, `${JSON.stringify(row)}\n${JSON.stringify({ ...row, priority: 'urgent' })}\n`);
    await expect(loadTicketHistory(file)).rejects.toThrow(
      `ticket history ${file} line 2: priority must be one of P1, P2, P3, P4 (got "urgent")`
    );
  });

  it('When the history has departments of the organisation’s own, then they are read as they are, and an empty one is refused', async () => {
    const file = join(dir, 'own.jsonl');
    await writeFile(
      file,
      `${JSON.stringify(row)}\n${JSON.stringify({ ...row, id: 'T-2', department: 'noc_tier2' })}\n`
    );

    expect((await loadTicketHistory(file)).map((r) => r.department)).toEqual(['facilities', 'noc_tier2']);

    await writeFile(file, JSON.stringify({ ...row, department: '' }));
    await expect(loadTicketHistory(file)).rejects.toThrow(
      `ticket history ${file} line 1: department must not be empty`
    );
  });
});

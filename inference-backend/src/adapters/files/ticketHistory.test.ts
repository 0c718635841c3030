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
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SeriesPoint } from '../../domain/series';
import { createLineProtocolFileSink, LineFileWriter } from './lineProtocolFileSink';

interface Parsed {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, string | number | boolean>;
  timeUs: number;
}

/** A strict reader of the line protocol subset InfluxDB documents, to prove the output parses. */
function parseLine(line: string): Parsed {
  let i = 0;
  const readUntil = (stops: string): string => {
    let out = '';
    while (i < line.length && !stops.includes(line[i])) {
      if (line[i] === '\\' && i + 1 < line.length) {
        out += line[i + 1];
        i += 2;
      } else out += line[i++];
    }
    return out;
  };
  const measurement = readUntil(', ');
  const tags: Record<string, string> = {};
  while (line[i] === ',') {
    i++;
    const key = readUntil('=');
    i++;
    tags[key] = readUntil(', ');
  }
  if (line[i++] !== ' ') throw new Error(`no field set in ${line}`);
  const fields: Record<string, string | number | boolean> = {};
  for (;;) {
    const key = readUntil('=');
    i++;
    if (line[i] === '"') {
      i++;
      let value = '';
      while (line[i] !== '"') {
        if (i >= line.length) throw new Error(`unterminated string in ${line}`);
        if (line[i] === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) {
          value += line[i + 1];
          i += 2;
        } else value += line[i++];
      }
      i++;
      fields[key] = value;
    } else {
      const raw = readUntil(', ');
      if (/^-?\d+i$/.test(raw)) fields[key] = Number(raw.slice(0, -1));
      else if (raw === 'true' || raw === 'false') fields[key] = raw === 'true';
      else if (Number.isFinite(Number(raw))) fields[key] = Number(raw);
      else throw new Error(`bad field value ${raw} in ${line}`);
    }
    if (line[i] !== ',') break;
    i++;
  }
  if (line[i++] !== ' ') throw new Error(`no timestamp in ${line}`);
  const timeUs = Number(line.slice(i));
  if (!Number.isInteger(timeUs)) throw new Error(`bad timestamp in ${line}`);
  return { measurement, tags, fields, timeUs };
}

const tricky: SeriesPoint = {
  measurement: 'syslog',
  tags: { hostname: 'hosp 01,ps=1', appname: 'pdud', severity: 'crit', facility: 'local0' },
  fields: { message: 'PDU "A": input lost, path C:\\pdu = 0 V' },
  intFields: { severity_code: 2, facility_code: 16 },
  timeUs: 1_709_640_000_123_456,
};

describe('LineProtocolFileSink', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-lp-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('When points with spaces, commas, equals signs, quotes and backslashes are written, then each line parses back to the point', async () => {
    const file = join(dir, 'nested', 'out.lp');
    const sink = await createLineProtocolFileSink(file);
    const metric: SeriesPoint = {
      measurement: 'cpu',
      tags: { host: 'srv-01', cpu: 'cpu-total' },
      fields: { usage_user: 12.5, usage_idle: 87.5 },
      timeUs: 1_709_640_000_000_001,
    };
    await sink.write([tricky, metric]);
    await sink.close();
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(parseLine(lines[0])).toEqual({
      measurement: 'syslog',
      tags: tricky.tags,
      fields: { message: tricky.fields.message, severity_code: 2, facility_code: 16 },
      timeUs: tricky.timeUs,
    });
    expect(parseLine(lines[1])).toEqual({
      measurement: 'cpu',
      tags: metric.tags,
      fields: metric.fields,
      timeUs: metric.timeUs,
    });
  });

  it('When much more is written than the stream buffers, then writes wait for it to drain and nothing is lost', async () => {
    const file = join(dir, 'big.lp');
    const sink = await createLineProtocolFileSink(file);
    const batch = Array.from({ length: 5000 }, (_, i) => ({ ...tricky, timeUs: tricky.timeUs + i }));
    for (let b = 0; b < 40; b++) await sink.write(batch);
    await sink.flush();
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(200_000);
    await sink.close();
  });

  it('When opened in append mode, then earlier lines are kept; otherwise the file starts afresh', async () => {
    const file = join(dir, 'a.lp');
    await writeFile(file, 'old line\n');
    const appending = await LineFileWriter.open(file, { append: true });
    await appending.writeLines(['new line']);
    await appending.close();
    expect(await readFile(file, 'utf8')).toBe('old line\nnew line\n');
    const fresh = await LineFileWriter.open(file);
    await fresh.writeLines(['only line']);
    await fresh.close();
    expect(await readFile(file, 'utf8')).toBe('only line\n');
  });

  it('When the file cannot be created, then opening fails with the reason', async () => {
    await writeFile(join(dir, 'blocker'), '');
    await expect(createLineProtocolFileSink(join(dir, 'blocker', 'x.lp'))).rejects.toThrow(/EEXIST|ENOTDIR/);
  });

  it('When written after close, then it refuses', async () => {
    const writer = await LineFileWriter.open(join(dir, 'c.lp'));
    await writer.close();
    await expect(writer.writeLines(['late'])).rejects.toThrow(/already closed/);
  });
});

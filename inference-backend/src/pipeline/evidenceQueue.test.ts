import type { ClassifiedEvent } from '../domain/incidents';
import { EvidenceQueue } from './evidenceQueue';

const alarm = (hostname: string, timeUs: number): ClassifiedEvent => ({
  timeUs,
  hostname,
  appname: 'nocai-anomaly',
  severity: 'warning',
  message: 'sensors.temperature_c at 71, above the expected 40–45',
  templateId: 'anomaly.sensors.temperature_c',
  eventClass: 'hardware',
  decision: 'alert',
  confidence: 0.95,
  modelVersion: 'v1',
});

describe('EvidenceQueue', () => {
  it('When alarms are pushed, then the log stage takes those up to its batch end, and the rest wait for a later batch', async () => {
    const queue = new EvidenceQueue();
    queue.push([alarm('a', 300), alarm('b', 100)]);
    expect((await queue.read(50, 200)).map((e) => e.hostname)).toEqual(['b']);
    queue.committed();
    expect((await queue.read(200, 400)).map((e) => e.hostname)).toEqual(['a']);
  });

  it('When an alarm is older than the engine clock, then it joins at the present, each a microsecond apart', async () => {
    const queue = new EvidenceQueue();
    queue.push([alarm('a', 10), alarm('b', 20)]);
    expect((await queue.read(1000, 2000)).map((e) => [e.hostname, e.timeUs])).toEqual([
      ['a', 1001],
      ['b', 1002],
    ]);
  });

  it('When the batch that read an alarm is not committed (its write failed), then the retry reads it again; after commit never again', async () => {
    const queue = new EvidenceQueue();
    queue.push([alarm('a', 100)]);
    expect(await queue.read(0, 200)).toHaveLength(1);
    expect(await queue.read(0, 200)).toHaveLength(1);
    queue.committed();
    expect(await queue.read(0, 200)).toHaveLength(0);
    // The metric stage replaying a window pushes the same alarm again: it is not given twice.
    queue.push([alarm('a', 100)]);
    expect(await queue.read(0, 200)).toHaveLength(0);
  });

  it('When started after a restart, then the alarms stored since the engine time are read back once, without duplicates of pushed ones', async () => {
    const prime = jest.fn(async (afterUs: number) => [alarm('a', afterUs + 10), alarm('b', afterUs + 20)]);
    const queue = new EvidenceQueue(prime);
    queue.push([alarm('b', 520)]);
    expect((await queue.read(500, 600)).map((e) => e.hostname)).toEqual(['a', 'b']);
    queue.committed();
    expect(await queue.read(600, 700)).toEqual([]);
    expect(prime).toHaveBeenCalledTimes(1);
  });

  it('When the metric stage is catching up, then its watermark is the horizon; live, there is none', () => {
    let behind: number | undefined = 1234;
    const queue = new EvidenceQueue(undefined, () => behind);
    expect(queue.horizonUs()).toBe(1234);
    behind = undefined;
    expect(queue.horizonUs()).toBeUndefined();
  });
});

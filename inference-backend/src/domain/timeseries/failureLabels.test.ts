import { detectHalts, runToFailureRows, type FailureLabelOptions, type SensorSeries } from './failureLabels';

const BUCKET_MS = 600_000;
const HOUR_MS = 3_600_000;
const OPTIONS: FailureLabelOptions = {
  bucketMs: BUCKET_MS,
  minGapBuckets: 2,
  deviceKind: 'plc',
  fields: ['temperature_c'],
  target: 'fails_within_24h',
  horizonH: 24,
  remainingLifeColumn: 'remaining_life_h',
  capH: 48,
};

/** A device reporting every bucket of [fromMs, toMs) except those in `gaps` ([from, to) pairs). */
function series(
  host: string,
  site: string,
  kind: string,
  fromMs: number,
  toMs: number,
  gaps: Array<[number, number]> = []
): SensorSeries {
  const buckets = [];
  for (let t = fromMs; t < toMs; t += BUCKET_MS) {
    if (gaps.some(([a, b]) => t >= a && t < b)) continue;
    buckets.push({ startMs: t, values: { temperature_c: 40 } });
  }
  return { host, site, deviceKind: kind, buckets };
}

describe('run-to-failure labels from the sensor history', () => {
  const day = 24 * HOUR_MS;
  const haltGap: [number, number] = [2 * day, 2 * day + HOUR_MS];

  it('When a PLC’s sensors stop for an hour while its site keeps reporting, then that is a halt at the end of its last bucket', () => {
    const halts = detectHalts(
      [series('s1-plc-01', 's1', 'plc', 0, 4 * day, [haltGap]), series('s1-sensor-01', 's1', 'sensor', 0, 4 * day)],
      4 * day,
      OPTIONS
    );
    expect(halts).toEqual([{ host: 's1-plc-01', atMs: 2 * day }]);
  });

  it('When every device of the site goes quiet at once, then it is an outage of the site, not a failure; one missing bucket is no halt either', () => {
    const halts = detectHalts(
      [
        series('s1-plc-01', 's1', 'plc', 0, 4 * day, [haltGap, [3 * day, 3 * day + BUCKET_MS]]),
        series('s1-sensor-01', 's1', 'sensor', 0, 4 * day, [haltGap]),
      ],
      4 * day,
      OPTIONS
    );
    expect(halts).toEqual([]);
  });

  it('When rows are labelled up to a cut, then rows within the horizon of a known halt are yes, and rows whose future the cut hides are left unlabelled', () => {
    const plc = series('s1-plc-01', 's1', 'plc', 0, 4 * day, [haltGap]);
    const halts = [{ host: 's1-plc-01', atMs: 2 * day }];
    const at = (rows: Array<Record<string, string>>, ms: number) => rows.find((r) => Number(r.t) === ms);
    const all = runToFailureRows([plc], halts, 4 * day, OPTIONS);
    expect(at(all, 0)).toMatchObject({ fails_within_24h: 'no', remaining_life_h: '48.000' });
    expect(at(all, day + HOUR_MS)).toMatchObject({ fails_within_24h: 'yes', remaining_life_h: '23.000' });
    // After the halt, nothing is known to follow within the window's last day: no label.
    expect(at(all, 3 * day + HOUR_MS)).toMatchObject({ fails_within_24h: '', remaining_life_h: '' });
    // Cut before the halt: the rows just before the cut cannot know it.
    const early = runToFailureRows([plc], halts, 1.5 * day, OPTIONS);
    expect(at(early, day + HOUR_MS)?.fails_within_24h).toBe('');
    expect(early.every((r) => Number(r.t) < 1.5 * day)).toBe(true);
  });
});

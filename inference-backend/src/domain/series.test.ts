import { separateCollisions, UniqueMicros, type SeriesPoint } from './series';

describe('UniqueMicros', () => {
  it('When many records are stamped in the same millisecond, then each gets its own later microsecond', () => {
    const times = new UniqueMicros({ nowMs: () => 1_000 });
    const stamps = Array.from({ length: 1500 }, () => times.next());
    expect(new Set(stamps).size).toBe(1500);
    expect(stamps[0]).toBe(1_000_000);
    expect(stamps.every((t, i) => i === 0 || t > stamps[i - 1])).toBe(true);
  });

  it('When the clock moves past the stamps handed out, then stamps follow the clock again', () => {
    let now = 1_000;
    const times = new UniqueMicros({ nowMs: () => now });
    times.next();
    times.next();
    now = 2_000;
    expect(times.next()).toBe(2_000_000);
  });

  it('When three sharded replicas stamp records in the same millisecond, then no two stamps are equal', () => {
    const replicas = [0, 1, 2].map((index) => new UniqueMicros({ nowMs: () => 1_000 }, { index, count: 3 }));
    const stamps = replicas.flatMap((times) => Array.from({ length: 500 }, () => times.next()));
    expect(new Set(stamps).size).toBe(1500);
    // Each replica keeps to its own residue, at or just after the time asked for.
    for (const index of [0, 1, 2]) {
      const stamp = replicas[index].next(5_000);
      expect(stamp % 3).toBe(index);
      expect(stamp - 5_000_000).toBeLessThan(3);
    }
  });
});

describe('separateCollisions', () => {
  const p = (site: string, timeUs: number, id: string): SeriesPoint => ({
    measurement: 'aiops_tickets',
    tags: { site, status: 'open' },
    fields: { ticket_id: id },
    timeUs,
  });

  it('When two points share series and time, then the later one moves to the next free microsecond, in order', () => {
    const out = separateCollisions([p('a', 10, 'T1'), p('a', 10, 'T2'), p('a', 11, 'T3'), p('b', 10, 'T4')]);
    expect(out.map((x) => [x.fields.ticket_id, x.timeUs])).toEqual([
      ['T1', 10],
      ['T2', 11],
      ['T3', 12],
      ['T4', 10],
    ]);
  });

  it('When successive states of one ticket share an instant in different series, then each later state gets a later microsecond', () => {
    const state = (id: string, status: string, timeUs: number): SeriesPoint => ({
      measurement: 'aiops_tickets',
      tags: { site: 'a', status },
      fields: { ticket_id: id },
      timeUs,
    });
    const points = [
      state('T1', 'open', 10),
      state('T2', 'open', 11),
      state('T1', 'acknowledged', 10),
      state('T1', 'resolved', 9),
    ];
    const out = separateCollisions(points, (p) => String(p.fields.ticket_id));
    expect(out.map((x) => [x.fields.ticket_id, x.tags.status, x.timeUs])).toEqual([
      ['T1', 'open', 10],
      ['T2', 'open', 11],
      ['T1', 'acknowledged', 11],
      ['T1', 'resolved', 12],
    ]);
    // Without chains, only same-series collisions move.
    expect(separateCollisions(points).map((x) => x.timeUs)).toEqual([10, 11, 10, 9]);
  });

  it('When points do not collide, then they are returned unchanged, and the same input gives the same output', () => {
    const input = [p('a', 1, 'x'), p('a', 2, 'y')];
    expect(separateCollisions(input)).toEqual(input);
    const colliding = [p('a', 5, 'x'), p('a', 5, 'y')];
    expect(separateCollisions(colliding)).toEqual(separateCollisions(colliding));
  });
});

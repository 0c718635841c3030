import { rssWindows } from './speed';

describe('rssWindows', () => {
  it('When RSS is sampled through a soak, then it sums up the tenth after the first and the last tenth, each by its peak and mean', () => {
    // 100 s, a sample a second: 100 MB + the second, and a spike at 15 s.
    const samples: Array<[number, number]> = Array.from({ length: 101 }, (_, t) => [t, (100 + t) * 2 ** 20]);
    samples[15][1] = 500 * 2 ** 20;
    const { early, late } = rssWindows(samples, 100);
    expect(early.samples).toBe(11);
    expect(early.peakBytes).toBe(500 * 2 ** 20);
    expect(early.meanBytes).toBe(((110 + 120) / 2) * 2 ** 20 + (500 - 115) * 2 ** 20 / 11);
    expect(late).toEqual({ samples: 11, peakBytes: 200 * 2 ** 20, meanBytes: 195 * 2 ** 20 });
  });

  it('When no sample falls in a window, then it says so with zero samples', () => {
    expect(rssWindows([[50, 1]], 100).early).toEqual({ samples: 0, peakBytes: 0, meanBytes: 0 });
  });
});

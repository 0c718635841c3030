import { cadenceUs, newCadence, recordHeartbeat } from './cadence';

describe('reporting cadence', () => {
  it('When a device reports every minute with one long outage, then its cadence stays one minute', () => {
    const state = newCadence(0);
    for (let i = 1; i <= 20; i++) recordHeartbeat(state, i * 60e6, 24);
    recordHeartbeat(state, 20 * 60e6 + 3600e6, 24);

    expect(cadenceUs(state, 8)).toBe(60e6);
  });

  it('When a device sends bursts between ten-minute status lines, then its cadence follows the long gaps', () => {
    const state = newCadence(0);
    let t = 0;
    for (let i = 0; i < 12; i++) {
      t += 590e6;
      recordHeartbeat(state, t, 24);
      t += 10e6;
      recordHeartbeat(state, t, 24);
    }
    expect(cadenceUs(state, 8)).toBe(590e6);
  });

  it('When points share a timestamp or arrive late, then they neither count as gaps nor move time back', () => {
    const state = newCadence(100);
    recordHeartbeat(state, 100, 24);
    recordHeartbeat(state, 50, 24);

    expect(state).toEqual({ lastSeenUs: 100, gapsUs: [] });
    expect(cadenceUs(state, 1)).toBeUndefined();
  });
});

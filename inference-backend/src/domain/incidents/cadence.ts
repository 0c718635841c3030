/**
 * A device's normal reporting rhythm, learned from its own heartbeats: the upper quartile of
 * its recent inter-arrival times. A quantile ignores the odd long gap (a reboot, an outage) that
 * would inflate a mean; the upper quartile rather than the median because many devices report in
 * bursts (a periodic status line plus irregular chatter), and a silence must be judged against
 * the gaps the device normally leaves, not against its bursts.
 */
export interface CadenceState {
  lastSeenUs: number;
  /** Most recent inter-arrival times in µs, oldest first, at most `capacity` long. */
  gapsUs: number[];
}

export function newCadence(firstSeenUs: number): CadenceState {
  return { lastSeenUs: firstSeenUs, gapsUs: [] };
}

/**
 * Records a heartbeat. Points of one collection share a timestamp and late points are older than
 * the last one seen; neither tells anything about the rhythm, so both are ignored.
 */
export function recordHeartbeat(state: CadenceState, timeUs: number, capacity: number): void {
  if (timeUs <= state.lastSeenUs) return;
  state.gapsUs.push(timeUs - state.lastSeenUs);
  // shift, not splice: no array of the removed gaps per heartbeat (issue 13: ten heartbeats a line).
  while (state.gapsUs.length > capacity) state.gapsUs.shift();
  state.lastSeenUs = timeUs;
}

/** The learned cadence in µs, or undefined until `minSamples` gaps were seen. */
export function cadenceUs(state: CadenceState, minSamples: number): number | undefined {
  if (state.gapsUs.length < minSamples) return undefined;
  // The engine asks for every device at every 30 s step; the gaps change only with a heartbeat,
  // which always moves lastSeenUs (issue 13: the engine's per-step cost).
  const known = quartiles.get(state);
  if (known && known.lastSeenUs === state.lastSeenUs && known.gaps === state.gapsUs.length) return known.valueUs;
  const sorted = [...state.gapsUs].sort((a, b) => a - b);
  const valueUs = sorted[Math.floor((sorted.length - 1) * UPPER_QUARTILE)];
  quartiles.set(state, { lastSeenUs: state.lastSeenUs, gaps: state.gapsUs.length, valueUs });
  return valueUs;
}

/** Outside the state, which is persisted as JSON: a cache, keyed by the state object it describes. */
const quartiles = new WeakMap<CadenceState, { lastSeenUs: number; gaps: number; valueUs: number }>();

const UPPER_QUARTILE = 0.75;

import type { DeviceKind, IncidentKind, Inventory, SiteKind } from '@nocai/contract';
import { HOUR_US, MINUTE_US, SECOND_US } from './calendar';
import { isInjected, rootCandidates } from './incidents';
import type { ScenarioSpec } from './incidents';
import { generateInventory } from './inventory';
import { hashString, rngFor, STREAM } from './random';
import type { LiveScript, RunSettings } from './runner';
import type { Simulation } from './simulation';
import { Topology } from './topology';
import type { SimDevice } from './topology';
import { expectedTriage } from './triage';

/**
 * The demo's world. The backfilled week holds one incident of each kind besides the automatic
 * ones, so the first screen shows every ticket class, false alarms and a P1 power failure with
 * its root cause. Live, an incident of some kind starts every few minutes, across sites: it
 * opens with a power flicker that is a false alarm and a power failure with a root cause.
 */

interface Beat {
  kind: IncidentKind;
  /** Site kinds in order of preference; any other site that can have the incident comes after. */
  siteKinds: readonly SiteKind[];
  /** The root device's kind, for kinds that can start on several (overheating: plc or sensor). */
  rootKind?: DeviceKind;
  durationMinutes?: number;
}

/**
 * Before the end of the backfill, in hours. The hospital power failure is recent, so it sits at
 * the top of the triage panel; the overheatings cover both classes (a PLC is hardware, a room
 * sensor environment).
 */
const HISTORY: ReadonlyArray<Beat & { hoursAgo: number }> = [
  { hoursAgo: 5, kind: 'power_flicker', siteKinds: ['hotel'] },
  { hoursAgo: 20, kind: 'power_failure', siteKinds: ['hospital'], durationMinutes: 45 },
  { hoursAgo: 27, kind: 'power_flicker', siteKinds: ['factory'] },
  { hoursAgo: 44, kind: 'overheating', siteKinds: ['factory'], rootKind: 'plc', durationMinutes: 150 },
  { hoursAgo: 66, kind: 'overheating', siteKinds: ['hospital'], rootKind: 'sensor', durationMinutes: 120 },
  { hoursAgo: 80, kind: 'link_flapping', siteKinds: ['smart_city'] },
  { hoursAgo: 100, kind: 'crash_loop', siteKinds: ['hotel'] },
  { hoursAgo: 118, kind: 'disk_full', siteKinds: ['hospital'], durationMinutes: 240 },
  { hoursAgo: 140, kind: 'brute_force', siteKinds: ['hotel'] },
  { hoursAgo: 160, kind: 'power_failure', siteKinds: ['factory'], durationMinutes: 30 },
];

/** The live opening, in simulated minutes after live time began. */
const OPENING: ReadonlyArray<Beat & { atMinute: number }> = [
  { atMinute: 1, kind: 'power_flicker', siteKinds: ['factory', 'hotel'] },
  { atMinute: 3, kind: 'power_failure', siteKinds: ['hospital', 'factory'], durationMinutes: 10 },
  { atMinute: 6, kind: 'brute_force', siteKinds: ['smart_city', 'hotel'], durationMinutes: 6 },
  { atMinute: 9, kind: 'crash_loop', siteKinds: ['factory', 'hotel'], durationMinutes: 8 },
  { atMinute: 12, kind: 'link_flapping', siteKinds: ['hotel', 'smart_city'], durationMinutes: 8 },
  { atMinute: 15, kind: 'overheating', siteKinds: ['smart_city', 'hotel'], rootKind: 'sensor', durationMinutes: 20 },
  { atMinute: 18, kind: 'disk_full', siteKinds: ['smart_city', 'factory'], durationMinutes: 20 },
  { atMinute: 21, kind: 'overheating', siteKinds: ['factory'], rootKind: 'plc', durationMinutes: 20 },
];

/** Live time the opening covers: the part `--speed` plays faster. */
export const DEMO_OPENING_US = 24 * MINUTE_US;

/** After the opening, an incident every INTERVAL_US ± JITTER_US. */
const INTERVAL_US = 4 * MINUTE_US;
const JITTER_US = 90 * SECOND_US;

/** Relative frequency and length (minutes) of the incidents after the opening: short, so sites are free again soon. */
const LATER: Record<IncidentKind, { weight: number; minutes?: readonly [number, number] }> = {
  power_failure: { weight: 0.12, minutes: [8, 25] },
  power_flicker: { weight: 0.16 },
  overheating: { weight: 0.14, minutes: [15, 40] },
  link_flapping: { weight: 0.16, minutes: [5, 15] },
  disk_full: { weight: 0.12, minutes: [15, 40] },
  crash_loop: { weight: 0.15, minutes: [5, 15] },
  brute_force: { weight: 0.15, minutes: [3, 10] },
};

/**
 * An injected incident takes the place of an automatic one of its site within 30 minutes (see
 * IncidentSchedule): a site with an automatic incident that recent is left alone.
 */
const AUTOMATIC_GAP_US = 30 * MINUTE_US;
/** The incident engine groups alerts of one class and site within 15 minutes into one incident. */
const SAME_CLASS_GAP_US = 15 * MINUTE_US;

/**
 * Whether an incident of `beat` starting on `root` at `atUs` would disturb one going on at its
 * site: an automatic one (it would be cut short), a power failure (the site is dark: nothing
 * would be logged), one on the same device, or one of the same class (they would be one ticket).
 */
function clashes(beat: Beat, root: SimDevice, atUs: number, simulation: Simulation): boolean {
  const eventClass = expectedTriage(beat.kind, root).eventClass;
  return simulation.incidentsBetween(atUs - AUTOMATIC_GAP_US, atUs + 1).some((other) => {
    if (other.site !== root.site.id) return false;
    if (!isInjected(other)) return true;
    const goingOn = other.endUs >= atUs;
    if (goingOn && (other.kind === 'power_failure' || other.rootHost === root.host)) return true;
    return other.expected.eventClass === eventClass && other.endUs >= atUs - SAME_CLASS_GAP_US;
  });
}

/** Devices of `site` an incident of `beat` can start on. */
function rootsOf(beat: Beat, siteId: string, topology: Topology): SimDevice[] {
  const site = topology.site(siteId);
  if (!site) return [];
  return rootCandidates(beat.kind, site, topology).filter((d) => !beat.rootKind || d.kind === beat.rootKind);
}

/** Sites for `beat`, preferred kinds first (in inventory order), then every other site. */
function sitesFor(beat: Beat, topology: Topology): string[] {
  const preferred = beat.siteKinds.flatMap((kind) => topology.sites.filter((s) => s.kind === kind).map((s) => s.id));
  const others = topology.sites.map((s) => s.id).filter((id) => !preferred.includes(id));
  return [...preferred, ...others];
}

function specFor(beat: Beat, atUs: number, root: SimDevice): ScenarioSpec {
  return { kind: beat.kind, atUs, host: root.host, durationMinutes: beat.durationMinutes };
}

/**
 * The scripted incidents of the backfill that ends at `endUs` and lasts `days`: one spec per
 * beat that falls inside it and has a device to start on. Injected before the backfill, they
 * take the place of automatic incidents of their site at the same time.
 */
export function demoHistoryScenarios(topology: Topology, endUs: number, days: number): ScenarioSpec[] {
  const startUs = endUs - days * 24 * HOUR_US;
  const specs: ScenarioSpec[] = [];
  for (const beat of HISTORY) {
    const atUs = endUs - beat.hoursAgo * HOUR_US;
    if (atUs <= startUs) continue;
    const site = sitesFor(beat, topology).find((id) => rootsOf(beat, id, topology).length > 0);
    if (site) specs.push(specFor(beat, atUs, rootsOf(beat, site, topology)[0]));
  }
  return specs;
}

/**
 * The demo's world for a backfill of `days` ending at `endUs`: the generated inventory and its
 * scripted history. Pure: whoever builds it from the same values simulates the same week.
 */
export function demoSettings(o: {
  seed: number;
  sites: number;
  endUs: number;
  days: number;
}): RunSettings & { inventory: Inventory; topology: Topology } {
  const inventory = generateInventory({ seed: o.seed, sites: o.sites });
  const topology = new Topology(inventory);
  return { seed: o.seed, inventory, topology, scenarios: demoHistoryScenarios(topology, o.endUs, o.days) };
}

/**
 * The live part of the demo: the opening, then an incident every few minutes whose kind, site
 * and length are drawn from the seed (the same seed plays the same story). An incident goes to
 * the first suitable site where it disturbs nothing going on (see `clashes`); when there is
 * none, that beat is skipped.
 */
export function createDemoLiveScript(seed: number, topology: Topology): LiveScript {
  let next = 0;

  const beatAt = (index: number, originUs: number): { atUs: number; beat: Beat } => {
    if (index < OPENING.length) {
      const opening = OPENING[index];
      return { atUs: originUs + opening.atMinute * MINUTE_US, beat: opening };
    }
    const n = index - OPENING.length;
    const r = rngFor(seed, STREAM.demo, n);
    const kind = r.weighted(Object.entries(LATER).map(([k, v]) => [k as IncidentKind, v.weight] as const));
    const minutes = LATER[kind].minutes;
    const atUs = originUs + DEMO_OPENING_US + n * INTERVAL_US + r.int(-JITTER_US, JITTER_US);
    // Sites take turns, so that every site has its share of the trouble.
    const rotated = topology.sites.map((_, i) => topology.sites[(n + i) % topology.sites.length].kind);
    const beat: Beat = {
      kind,
      siteKinds: rotated,
      durationMinutes: minutes ? r.int(minutes[0], minutes[1]) : undefined,
    };
    return { atUs, beat };
  };

  return {
    injectBetween({ fromUs, toUs, originUs }, simulation) {
      for (;;) {
        const { atUs, beat } = beatAt(next, originUs);
        if (atUs >= toUs) return;
        next++;
        if (atUs < fromUs) continue;
        for (const site of sitesFor(beat, topology)) {
          const roots = rootsOf(beat, site, topology);
          if (roots.length === 0) continue;
          const root = rngFor(seed, STREAM.demo, next, hashString(site)).pick(roots);
          if (clashes(beat, root, atUs, simulation)) continue;
          simulation.inject(specFor(beat, atUs, root));
          break;
        }
      }
    },
  };
}

import type { GroundTruthIncident } from '@nocai/contract';
import { HOUR_US, MINUTE_US } from './calendar';
import { createDemoLiveScript, DEMO_OPENING_US, demoHistoryScenarios } from './demoProfile';
import { generateInventory } from './inventory';
import { Simulation } from './simulation';
import { Topology } from './topology';

const END_US = Date.UTC(2024, 4, 31, 12) * 1000;
const DAY_US = 24 * HOUR_US;

/** Plays `minutes` of live time through the demo script, a minute per window, and returns every incident that started. */
function playLive(sites: number, minutes: number, seed = 42): GroundTruthIncident[] {
  const inventory = generateInventory({ seed, sites });
  const simulation = new Simulation({ seed, inventory, incidentsPerSiteDay: 0 });
  const script = createDemoLiveScript(seed, new Topology(inventory));
  const incidents: GroundTruthIncident[] = [];
  for (let fromUs = END_US; fromUs < END_US + minutes * MINUTE_US; fromUs += MINUTE_US) {
    script.injectBetween({ fromUs, toUs: fromUs + MINUTE_US, originUs: END_US }, simulation);
    incidents.push(...simulation.generate(fromUs, fromUs + MINUTE_US).incidents);
  }
  return incidents;
}

describe('the demo profile', () => {
  it('When a week is backfilled, then it holds every kind of incident, with a power failure at the hospital in the last day', () => {
    const topology = new Topology(generateInventory({ seed: 42, sites: 4 }));
    const specs = demoHistoryScenarios(topology, END_US, 7);
    expect(new Set(specs.map((s) => s.kind))).toEqual(
      new Set([
        'power_failure',
        'power_flicker',
        'overheating',
        'link_flapping',
        'disk_full',
        'crash_loop',
        'brute_force',
      ])
    );
    const recentFailure = specs.find((s) => s.kind === 'power_failure' && s.atUs > END_US - DAY_US);
    expect(topology.device(recentFailure?.host ?? '')).toMatchObject({
      kind: 'power_switch',
      site: { kind: 'hospital' },
    });
    const overheated = specs.filter((s) => s.kind === 'overheating').map((s) => topology.device(s.host ?? '')?.kind);
    expect(overheated.sort()).toEqual(['plc', 'sensor']);
    for (const s of specs) expect(s.atUs).toBeGreaterThan(END_US - 7 * DAY_US);
  });

  it('When the backfill is shorter, then only the incidents inside it are scripted', () => {
    const topology = new Topology(generateInventory({ seed: 42, sites: 4 }));
    const specs = demoHistoryScenarios(topology, END_US, 1);
    expect(specs.length).toBeGreaterThan(0);
    for (const s of specs) expect(s.atUs).toBeGreaterThan(END_US - DAY_US);
  });

  it('When live time begins, then a false-alarm flicker and a power failure start within ten minutes, and incidents keep coming across sites', () => {
    const incidents = playLive(4, 90);
    const firstTen = incidents.filter((i) => i.startUs < END_US + 10 * MINUTE_US);
    expect(firstTen.find((i) => i.kind === 'power_flicker')?.isFalseAlarm).toBe(true);
    expect(firstTen.find((i) => i.kind === 'power_failure')).toMatchObject({ siteKind: 'hospital' });

    const afterOpening = incidents.filter((i) => i.startUs >= END_US + DEMO_OPENING_US);
    // One every four minutes (±90 s) for 66 minutes, less the ones whose every site was busy.
    expect(afterOpening.length).toBeGreaterThanOrEqual(8);
    expect(new Set(incidents.map((i) => i.kind)).size).toBe(7);
    expect(new Set(incidents.map((i) => i.site)).size).toBe(4);
  });

  it('When it picks a site, then an incident never starts during a power failure there, on a busy device or in a class already alerting', () => {
    for (const sites of [1, 4]) {
      const incidents = playLive(sites, 120);
      for (const a of incidents) {
        const clashing = incidents.filter(
          (b) =>
            b !== a &&
            b.site === a.site &&
            b.startUs <= a.startUs &&
            b.endUs >= a.startUs &&
            (b.kind === 'power_failure' || b.rootHost === a.rootHost || b.expected.eventClass === a.expected.eventClass)
        );
        expect([a.id, clashing.map((b) => b.id)]).toEqual([a.id, []]);
      }
    }
  });

  it('When played twice with one seed, then the story is the same', () => {
    const summary = (incidents: GroundTruthIncident[]) => incidents.map((i) => `${i.kind}@${i.rootHost}@${i.startUs}`);
    expect(summary(playLive(4, 60))).toEqual(summary(playLive(4, 60)));
  });
});

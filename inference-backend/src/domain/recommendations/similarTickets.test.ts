import { INPUT } from '@nocai/contract';
import type { TicketHistoryRow } from '@nocai/contract';
import { generateInventory } from '../../simulator/inventory';
import { Simulation } from '../../simulator/simulation';
import { generateTicketHistory } from '../../simulator/tickets';
import type { ScenarioSpec } from '../../simulator/incidents';
import { IncidentEngine } from '../incidents/engine';
import type { ClassifiedEvent, Heartbeat, IncidentSummary } from '../incidents/types';
import { classifyByRules } from '../triage/ruleClassifier';
import { resolvedTicketOf, SimilarTicketIndex, similarTicketQueryOf, type ResolvedTicket } from './similarTickets';

const history: ResolvedTicket[] = [
  {
    id: 'T1',
    title: 'Link down on core-sw-12',
    description: 'Interface Gi0/13 changed state to down at 10.20.0.17',
    resolution: 'Replaced SFP',
    mttrSeconds: 3600,
    eventClass: 'network',
    deviceKind: 'network_switch',
  },
  {
    id: 'T2',
    title: 'UPS on battery at hosp-01',
    description: 'Input voltage lost on feed A',
    resolution: 'Utility restored; generator test',
    mttrSeconds: 7200,
    eventClass: 'power',
    deviceKind: 'ups',
  },
  {
    id: 'T3',
    title: 'Disk full on srv-4',
    description: 'No space left on device /var',
    resolution: 'Rotated logs',
    mttrSeconds: 1800,
    eventClass: 'software',
    deviceKind: 'server',
  },
  {
    id: 'T4',
    title: 'Wi-Fi outage in the lobby',
    description: 'Guests cannot connect',
    resolution: 'Rebooted access point',
    mttrSeconds: 900,
    eventClass: 'network',
    deviceKind: 'network_switch',
  },
];

describe('SimilarTicketIndex', () => {
  it('When a new ticket is worded like a past one with other numbers, then that past ticket and its resolution come first', () => {
    const index = new SimilarTicketIndex(history);
    const found = index.search({
      title: 'Link down on core-sw-31',
      description: 'Interface Gi0/24 changed state to down at 10.20.0.28',
    });
    expect(found[0]).toMatchObject({ id: 'T1', resolution: 'Replaced SFP', mttrSeconds: 3600 });
    // Once ids, ports and addresses are masked, the two are worded the same.
    expect(found[0].similarity).toBe(1);
  });

  it('When a ticket is worded exactly like a past one, then its similarity is 1', () => {
    const found = new SimilarTicketIndex(history).search({
      title: 'Disk full on srv-4',
      description: 'No space left on device /var',
    });
    expect(found[0]).toMatchObject({ id: 'T3', similarity: 1 });
  });

  it('When nothing is alike, then no ticket is suggested', () => {
    expect(new SimilarTicketIndex(history).search({ title: 'coffee machine empty' })).toEqual([]);
  });

  it('When the text is empty, punctuation or stopwords only, then no ticket is suggested', () => {
    const index = new SimilarTicketIndex(history);
    for (const title of ['', '   ', '...!?', 'the on at of'])
      expect(index.search({ title, eventClass: 'power' })).toEqual([]);
  });

  it('When there is no past ticket, then no ticket is suggested', () => {
    const index = new SimilarTicketIndex([]);
    expect(index.size).toBe(0);
    expect(index.search({ title: 'Link down on core-sw-12' })).toEqual([]);
  });

  it('When k is 2, then at most two tickets come back, best first', () => {
    const found = new SimilarTicketIndex(history).search({ title: 'input voltage lost, disk full, link down' }, 2);
    expect(found).toHaveLength(2);
    expect(found[0].similarity).toBeGreaterThanOrEqual(found[1].similarity);
    for (const t of found) expect(t.similarity).toBeLessThanOrEqual(1);
  });

  it('When the class and device kind are known, then same class and kind come first, then same class, then the rest', () => {
    const outages: ResolvedTicket[] = [
      // The best worded match is of another class: it comes last once the class is known.
      {
        id: 'WIFI',
        title: 'Power outage at lobby',
        description: 'power switch silent',
        resolution: 'Rebooted AP',
        mttrSeconds: 1,
        eventClass: 'network',
        deviceKind: 'network_switch',
      },
      {
        id: 'UPS',
        title: 'Power outage',
        description: 'UPS on battery',
        resolution: 'New battery',
        mttrSeconds: 1,
        eventClass: 'power',
        deviceKind: 'ups',
      },
      {
        id: 'SWITCH',
        title: 'Breaker tripped',
        description: 'Outage',
        resolution: 'Reset breaker',
        mttrSeconds: 1,
        eventClass: 'power',
        deviceKind: 'power_switch',
      },
    ];
    const index = new SimilarTicketIndex(outages);
    const query = { title: 'Power outage at lobby', description: 'power switch silent' };
    expect(index.search(query).map((t) => t.id)).toEqual(['WIFI', 'UPS', 'SWITCH']);
    expect(index.search({ ...query, eventClass: 'power' }).map((t) => t.id)).toEqual(['UPS', 'SWITCH', 'WIFI']);
    expect(index.search({ ...query, eventClass: 'power', deviceKind: 'power_switch' }).map((t) => t.id)).toEqual([
      'SWITCH',
      'UPS',
      'WIFI',
    ]);
  });

  it('When one past ticket shares the title words and another only the boilerplate, then the title match comes first', () => {
    const reported = 'Several areas affected, service badly degraded. Reported by phone call from site staff.';
    const tickets: ResolvedTicket[] = [
      {
        id: 'BOILERPLATE',
        title: 'Badge reader offline',
        description: `Badge reader offline. ${reported}`,
        resolution: '',
        mttrSeconds: 1,
      },
      {
        id: 'PROBLEM',
        title: 'HVAC failure in warehouse',
        description: 'HVAC failure in warehouse. For information.',
        resolution: '',
        mttrSeconds: 1,
      },
      ...['Fan noise', 'Printer jam', 'Slow VPN'].map((title, i) => ({
        id: `X${i}`,
        title,
        description: `${title}. For information.`,
        resolution: '',
        mttrSeconds: 1,
      })),
    ];
    const found = new SimilarTicketIndex(tickets).search({
      title: 'HVAC failure in warehouse',
      description: `HVAC failure in warehouse. ${reported}`,
    });
    expect(found.map((t) => t.id)).toEqual(['PROBLEM', 'BOILERPLATE']);
  });

  it('When past tickets repeat a wording and its resolution, then the most recent stands for them and other fixes show', () => {
    const repeated = (id: string, resolution: string): ResolvedTicket => ({
      id,
      title: 'Link down on core-sw-11',
      description: 'Interface changed state to down',
      resolution,
      mttrSeconds: 60,
      eventClass: 'network',
    });
    const tickets = [
      repeated('A', 'Replaced SFP'),
      repeated('B', 'Replaced SFP'),
      repeated('C', 'Replaced cable'),
      repeated('D', 'Replaced SFP'),
    ];
    const found = new SimilarTicketIndex(tickets).search({ title: 'Link down on core-sw-42', eventClass: 'network' });
    expect(found.map((t) => [t.id, t.resolution])).toEqual([
      ['D', 'Replaced SFP'],
      ['C', 'Replaced cable'],
    ]);
  });

  it('When the history is longer than the bound, then only the most recent tickets are kept and suggested', () => {
    const index = new SimilarTicketIndex(history, 2);
    expect(index.size).toBe(2);
    expect(index.search({ title: 'Link down on core-sw-12' })).toEqual([]);
    expect(index.search({ title: 'Wi-Fi outage in the lobby' })[0].id).toBe('T4');
  });

  it('When searches follow one another or repeat, then each answer is what a fresh index gives', () => {
    const queries = [
      { title: 'Disk full on srv-9' },
      { title: 'UPS on battery', eventClass: 'power' },
      { title: 'Disk full on srv-9' },
    ];
    const index = new SimilarTicketIndex(history);
    for (const query of queries) expect(index.search(query)).toEqual(new SimilarTicketIndex(history).search(query));
    // A caller changing an answer does not change the next one.
    index.search(queries[0])[0].title = 'changed';
    expect(index.search(queries[0])[0].title).toBe('Disk full on srv-4');
  });
});

/**
 * The simulator's ticket history for the year before a Tuesday noon, and the engine's own
 * incidents at that noon, replayed the way the log stage feeds it (rule classifier, one
 * `advance` per simulated minute).
 */
const MINUTE_US = 60_000_000;
const HOUR_US = 60 * MINUTE_US;
const NOON_US = Date.UTC(2024, 2, 5, 12) * 1000;
const inventory = generateInventory({ seed: 42 });
const kindOf = new Map(inventory.devices.map((d) => [d.host, d.kind] as const));

function simulatedHistory(): TicketHistoryRow[] {
  const sim = new Simulation({ seed: 42, inventory });
  const fromUs = NOON_US - 365 * 24 * HOUR_US;
  return generateTicketHistory({
    seed: 42,
    topology: sim.topology,
    fromUs,
    toUs: NOON_US,
    incidents: sim.incidentsBetween(fromUs, NOON_US),
  });
}

/** The last state of each incident the engine opened a ticket for during the scenario. */
function engineIncidents(spec: ScenarioSpec): IncidentSummary[] {
  const sim = new Simulation({ seed: 42, inventory, incidentsPerSiteDay: 0, scenarios: [spec] });
  const engine = new IncidentEngine(inventory);
  const last = new Map<string, IncidentSummary>();
  const { syslog } = INPUT;
  for (let sliceUs = NOON_US - HOUR_US; sliceUs < NOON_US + 2 * HOUR_US; sliceUs += HOUR_US) {
    const perMinute = new Map<number, { events: ClassifiedEvent[]; heartbeats: Map<string, Heartbeat> }>();
    for (const point of sim.generate(sliceUs, sliceUs + HOUR_US).points) {
      const host = point.tags.hostname ?? point.tags.host;
      const minute = Math.floor(point.timeUs / MINUTE_US);
      const bucket = perMinute.get(minute) ?? {
        events: [] as ClassifiedEvent[],
        heartbeats: new Map<string, Heartbeat>(),
      };
      perMinute.set(minute, bucket);
      bucket.heartbeats.set(`${host} ${point.timeUs}`, { host, timeUs: point.timeUs });
      if (point.measurement !== syslog.measurement) continue;
      const message = String(point.fields[syslog.fields.message]);
      const [appname, severity] = [point.tags[syslog.tags.appname], point.tags[syslog.tags.severity]];
      const verdict = classifyByRules({ message, template: message, severity, appname, deviceKind: kindOf.get(host) });
      bucket.events.push({
        timeUs: point.timeUs,
        hostname: host,
        appname,
        severity,
        message,
        templateId: '',
        eventClass: verdict.eventClass,
        decision: verdict.decision,
        confidence: verdict.confidence,
        modelVersion: verdict.modelVersion,
        explanation: [],
      });
    }
    for (let minuteUs = sliceUs; minuteUs < sliceUs + HOUR_US; minuteUs += MINUTE_US) {
      const bucket = perMinute.get(minuteUs / MINUTE_US);
      if (bucket) {
        engine.observeEvents(bucket.events);
        engine.observeHeartbeats([...bucket.heartbeats.values()]);
      }
      for (const action of engine.advance(minuteUs + MINUTE_US).ticketActions)
        last.set(action.incident.id, action.incident);
    }
  }
  return [...last.values()];
}

describe('SimilarTicketIndex on the simulator history', () => {
  const rows = simulatedHistory();
  const index = new SimilarTicketIndex(rows.map(resolvedTicketOf));
  const classOf = new Map(rows.map((r) => [r.id, r.class]));

  it('When a hospital loses mains power, then the top suggestions for its outage ticket are power incidents', () => {
    const [outage] = engineIncidents({
      kind: 'power_failure',
      siteKind: 'hospital',
      atUs: NOON_US,
      durationMinutes: 40,
    });
    expect(outage).toMatchObject({ eventClass: 'power', pattern: 'outage' });
    expect(outage.title).toMatch(/^Power outage at /);

    const found = index.search(similarTicketQueryOf(outage));
    expect(found).toHaveLength(3);
    expect(found.map((t) => classOf.get(t.id))).toEqual(['power', 'power', 'power']);
    // The words alone already point at power, not at the Wi-Fi outages that share "outage".
    const byWords = index.search({ title: outage.title, description: outage.rootCause?.description });
    expect(classOf.get(byWords[0].id)).toBe('power');
  });

  it('When a switch port flaps, then the top suggestion for its ticket is a network incident', () => {
    const sw = inventory.devices.find((d) => d.kind === 'network_switch')?.host ?? '';
    const [flapping] = engineIncidents({ kind: 'link_flapping', host: sw, atUs: NOON_US, durationMinutes: 30 });
    expect(flapping).toMatchObject({ eventClass: 'network', pattern: 'flapping' });

    const found = index.search(similarTicketQueryOf(flapping));
    expect(classOf.get(found[0].id)).toBe('network');
    expect(found[0].title).toMatch(/flapping/i);
  });

  it('When a typed complaint reports a Wi-Fi outage, then the top suggestion is a network ticket', () => {
    const text = 'Wi-Fi outage in the east wing. Guests cannot connect to the network.';
    const found = index.search({ title: 'Wi-Fi outage in the east wing.', description: text, eventClass: 'network' });
    expect(classOf.get(found[0].id)).toBe('network');
    expect(classOf.get(index.search({ title: 'Wi-Fi outage in the east wing.', description: text })[0].id)).toBe(
      'network'
    );
  });

  it('When the last quarter is compared with the year before it, then the top suggestion has the ticket’s class and device kind', () => {
    const cut = rows.findIndex((r) => Date.parse(r.opened_at) * 1000 >= NOON_US - 91 * 24 * HOUR_US);
    const earlier = new SimilarTicketIndex(rows.slice(0, cut).map(resolvedTicketOf));
    const byId = new Map(rows.map((r) => [r.id, r]));
    // Every third ticket of the quarter keeps the test short.
    const queries = rows.slice(cut).filter((_, i) => i % 3 === 0);
    let sameClassByWords = 0;
    let sameClassAndKind = 0;
    for (const row of queries) {
      const query = { title: row.title, description: row.description };
      const byWords = earlier.search(query, 1)[0];
      if (byWords && byId.get(byWords.id)?.class === row.class) sameClassByWords++;
      const top = byId.get(
        earlier.search({ ...query, eventClass: row.class, deviceKind: row.device_kind }, 1)[0]?.id ?? ''
      );
      if (top?.class === row.class && top.device_kind === row.device_kind) sameClassAndKind++;
    }
    expect(queries.length).toBeGreaterThan(150);
    expect(sameClassByWords / queries.length).toBeGreaterThan(0.97);
    expect(sameClassAndKind / queries.length).toBeGreaterThan(0.99);
  });
});

import { INPUT } from '@nocai/contract';
import type { GroundTruthEvent, GroundTruthIncident, Inventory } from '@nocai/contract';
import { generateInventory } from '../../simulator/inventory';
import { Simulation } from '../../simulator/simulation';
import type { ScenarioSpec } from '../../simulator/incidents';
import { classifyByRules } from '../triage/ruleClassifier';
import { IncidentEngine } from './engine';
import { eventKey } from './types';
import type { ClassifiedEvent, DecisionChange, Heartbeat, IncidentSummary, SilenceChange, TicketAction } from './types';

/**
 * The engine fed the way the log stage feeds it: simulated telemetry, each syslog line
 * classified by the rule classifier, one `advance` per simulated minute.
 */

const MINUTE_US = 60_000_000;
const HOUR_US = 60 * MINUTE_US;
const DAY_US = 24 * HOUR_US;
/** Tuesday 5 March 2024, noon UTC. */
const NOON = Date.UTC(2024, 2, 5, 12) * 1000;

const inventory = generateInventory({ seed: 42 });
const kindOf = new Map(inventory.devices.map((d) => [d.host, d.kind] as const));

interface Replay {
  actions: TicketAction[];
  changes: DecisionChange[];
  silences: SilenceChange[];
  events: ClassifiedEvent[];
  truthEvents: GroundTruthEvent[];
  truthIncidents: GroundTruthIncident[];
}

function classify(
  message: string,
  appname: string,
  severity: string,
  hostname: string,
  timeUs: number,
  templateId: string
): ClassifiedEvent {
  const verdict = classifyByRules({ message, template: message, severity, appname, deviceKind: kindOf.get(hostname) });
  return {
    timeUs,
    hostname,
    appname,
    severity,
    message,
    templateId,
    eventClass: verdict.eventClass,
    decision: verdict.decision,
    confidence: verdict.confidence,
    modelVersion: verdict.modelVersion,
    explanation: verdict.topTokens.map((feature, i) => ({ feature, weight: 1 / (i + 1) })),
  };
}

/** Runs [fromUs, toUs) through the engine; `keepEvents` false spares memory in long runs. */
function replay(sim: Simulation, engine: IncidentEngine, fromUs: number, toUs: number, keepEvents = true): Replay {
  const out: Replay = { actions: [], changes: [], silences: [], events: [], truthEvents: [], truthIncidents: [] };
  const syslog = INPUT.syslog;
  for (let sliceUs = fromUs; sliceUs < toUs; sliceUs += HOUR_US) {
    const slice = sim.generate(sliceUs, Math.min(toUs, sliceUs + HOUR_US));
    out.truthIncidents.push(...slice.incidents);
    const perMinute = new Map<number, { events: ClassifiedEvent[]; heartbeats: Heartbeat[]; seen: Set<string> }>();
    const bucket = (timeUs: number) => {
      const minute = Math.floor(timeUs / MINUTE_US);
      let b = perMinute.get(minute);
      if (b === undefined) {
        b = { events: [], heartbeats: [], seen: new Set() };
        perMinute.set(minute, b);
      }
      return b;
    };
    let truthIndex = 0;
    for (const point of slice.points) {
      const host = point.tags.hostname ?? point.tags.host;
      const b = bucket(point.timeUs);
      if (point.measurement === syslog.measurement) {
        const truth = slice.events[truthIndex++];
        const event = classify(
          String(point.fields[syslog.fields.message]),
          point.tags[syslog.tags.appname],
          point.tags[syslog.tags.severity],
          host,
          point.timeUs,
          truth.templateId
        );
        b.events.push(event);
        if (keepEvents || event.decision === 'alert' || truth.decision !== 'noise') {
          out.events.push(event);
          out.truthEvents.push(truth);
        }
      }
      const key = eventKey(host, point.timeUs);
      if (!b.seen.has(key)) {
        b.seen.add(key);
        b.heartbeats.push({ host, timeUs: point.timeUs });
      }
    }
    const endUs = Math.min(toUs, sliceUs + HOUR_US);
    for (let minuteStart = sliceUs; minuteStart < endUs; minuteStart += MINUTE_US) {
      const b = perMinute.get(Math.floor(minuteStart / MINUTE_US));
      if (b !== undefined) {
        engine.observeEvents(b.events);
        engine.observeHeartbeats(b.heartbeats);
      }
      const output = engine.advance(minuteStart + MINUTE_US);
      out.actions.push(...output.ticketActions);
      out.changes.push(...output.decisionChanges);
      out.silences.push(...output.silences);
    }
  }
  return out;
}

function scenario(specs: ScenarioSpec[], inv: Inventory = inventory): { sim: Simulation; engine: IncidentEngine } {
  return {
    sim: new Simulation({ seed: 42, inventory: inv, incidentsPerSiteDay: 0, scenarios: specs }),
    engine: new IncidentEngine(inv),
  };
}

const opened = (r: Replay) => r.actions.filter((a) => a.kind === 'open');
const finalState = (r: Replay, id: string) => [...r.actions].reverse().find((a) => a.incident.id === id)?.incident;

/** Ids of the tickets holding the alerts of a ground-truth incident. */
function ticketsOf(r: Replay, truth: GroundTruthIncident): string[] {
  const keys = new Set(
    r.events.filter((e, i) => r.truthEvents[i].incidentId === truth.id).map((e) => eventKey(e.hostname, e.timeUs))
  );
  const ids = new Set(r.actions.filter((a) => a.incident.eventKeys.some((k) => keys.has(k))).map((a) => a.incident.id));
  return [...ids].filter((id) => r.actions.some((a) => a.kind === 'open' && a.incident.id === id));
}

describe('IncidentEngine on simulated incidents', () => {
  it('When a hospital loses mains power at 12:00, then one P1 field-technician ticket blames the power switch', () => {
    const { sim, engine } = scenario([
      { kind: 'power_failure', siteKind: 'hospital', atUs: NOON, durationMinutes: 40 },
    ]);
    const r = replay(sim, engine, NOON - 2 * HOUR_US, NOON + 2 * HOUR_US);
    const truth = r.truthIncidents[0];

    const siteTickets = opened(r).filter((a) => a.incident.site === truth.site);
    expect(siteTickets).toHaveLength(1);
    const ticket = finalState(r, siteTickets[0].incident.id);
    expect(ticket).toMatchObject({
      eventClass: 'power',
      department: 'field_technicians',
      priority: 'P1',
      site: truth.site,
      host: truth.rootHost,
      pattern: 'outage',
    });
    expect(ticket?.rootCause?.host).toBe(truth.rootHost);
    expect(ticket?.rootCause?.description).toContain(
      `silent since ${new Date(NOON / 1000).toISOString().slice(0, 15)}`
    );
    expect(Math.abs((ticket?.rootCause?.silentSinceUs ?? 0) - NOON)).toBeLessThanOrEqual(MINUTE_US);
    expect(ticket?.rootCause?.dependants.length).toBeGreaterThan(3);
    expect(ticket?.relatedAlertCount).toBeGreaterThan(1);
    // Opened within a few minutes, resolved once everything was back.
    expect(siteTickets[0].atUs - NOON).toBeLessThanOrEqual(6 * MINUTE_US);
    expect(r.actions.some((a) => a.kind === 'resolve' && a.incident.id === ticket?.id)).toBe(true);
    // Dependants that went silent are blamed on the switch, not ticketed on their own.
    const dependantSilences = r.silences.filter((s) => s.state === 'silent' && s.host !== truth.rootHost);
    expect(dependantSilences.length).toBeGreaterThan(0);
    expect(dependantSilences.every((s) => s.rootCauseHost === truth.rootHost)).toBe(true);
  });

  it('When the power flickers for 3 minutes, then no ticket opens and its alerts become false alarms', () => {
    const { sim, engine } = scenario([{ kind: 'power_flicker', siteKind: 'hospital', atUs: NOON, durationMinutes: 3 }]);
    const r = replay(sim, engine, NOON - 2 * HOUR_US, NOON + HOUR_US);
    const truth = r.truthIncidents[0];

    expect(opened(r).filter((a) => a.incident.site === truth.site)).toHaveLength(0);
    const flickerAlerts = r.events.filter((e, i) => r.truthEvents[i].incidentId === truth.id && e.decision === 'alert');
    expect(flickerAlerts.length).toBeGreaterThan(0);
    const relabelled = new Set(r.changes.filter((c) => c.decision === 'false_alarm').map((c) => c.key));
    for (const e of flickerAlerts) expect(relabelled).toContain(eventKey(e.hostname, e.timeUs));
  });

  it('When a PLC overheats, then maintenance gets one hardware ticket', () => {
    const plc = inventory.devices.find((d) => d.kind === 'plc')?.host ?? '';
    const { sim, engine } = scenario([{ kind: 'overheating', host: plc, atUs: NOON, durationMinutes: 180 }]);
    const r = replay(sim, engine, NOON - 2 * HOUR_US, NOON + 6 * HOUR_US);

    const tickets = ticketsOf(r, r.truthIncidents[0]);
    expect(tickets).toHaveLength(1);
    expect(finalState(r, tickets[0])).toMatchObject({ eventClass: 'hardware', department: 'maintenance', host: plc });
  });

  it('When an attacker tries hundreds of SSH passwords, then security gets one ticket', () => {
    const server = inventory.devices.find((d) => d.kind === 'server')?.host ?? '';
    const { sim, engine } = scenario([{ kind: 'brute_force', host: server, atUs: NOON, durationMinutes: 20 }]);
    const r = replay(sim, engine, NOON - 2 * HOUR_US, NOON + 2 * HOUR_US);

    const tickets = ticketsOf(r, r.truthIncidents[0]);
    expect(tickets).toHaveLength(1);
    expect(finalState(r, tickets[0])).toMatchObject({
      eventClass: 'security',
      department: 'security',
      pattern: 'brute_force',
      host: server,
    });
    expect(finalState(r, tickets[0])?.relatedAlertCount).toBeGreaterThan(30);
  });

  it('When a switch port flaps, then network ops get one flapping ticket rather than one per flap', () => {
    const sw = inventory.devices.find((d) => d.kind === 'network_switch')?.host ?? '';
    const { sim, engine } = scenario([{ kind: 'link_flapping', host: sw, atUs: NOON, durationMinutes: 30 }]);
    const r = replay(sim, engine, NOON - 2 * HOUR_US, NOON + 2 * HOUR_US);

    const tickets = ticketsOf(r, r.truthIncidents[0]);
    expect(tickets).toHaveLength(1);
    expect(finalState(r, tickets[0])).toMatchObject({
      eventClass: 'network',
      department: 'network_ops',
      pattern: 'flapping',
      host: sw,
    });
    expect(r.changes.filter((c) => c.decision === 'false_alarm' && c.hostname === sw)).toHaveLength(0);
  });

  it.each([
    ['disk_full', 240],
    ['crash_loop', 20],
  ] as const)('When a server has a %s, then IT ops get one software ticket for all of it', (kind, durationMinutes) => {
    const server = inventory.devices.find((d) => d.kind === 'server')?.host ?? '';
    const { sim, engine } = scenario([{ kind, host: server, atUs: NOON, durationMinutes }]);
    const r = replay(sim, engine, NOON - 2 * HOUR_US, NOON + 8 * HOUR_US);

    const tickets = ticketsOf(r, r.truthIncidents[0]);
    expect(tickets).toHaveLength(1);
    expect(finalState(r, tickets[0])).toMatchObject({ eventClass: 'software', department: 'it_ops', host: server });
  });
});

describe('IncidentEngine over a simulated month', () => {
  const DAYS = 21;
  const start = Date.UTC(2024, 2, 4) * 1000;
  let r: Replay;
  let tickets: TicketAction[];
  let alerts: ClassifiedEvent[];
  let incidents: GroundTruthIncident[];
  let real: GroundTruthIncident[];
  let finalOf: Map<string, IncidentSummary>;
  let covered: { truth: GroundTruthIncident; ticket: IncidentSummary | undefined }[];

  beforeAll(() => {
    // Six hours of warm-up so that every device's cadence is learned before the month starts.
    r = replay(
      new Simulation({ seed: 42, inventory }),
      new IncidentEngine(inventory),
      start - 6 * HOUR_US,
      start + DAYS * DAY_US,
      false
    );
    tickets = opened(r).filter((a) => a.atUs >= start);
    alerts = r.events.filter((e) => e.timeUs >= start && e.decision === 'alert');
    incidents = r.truthIncidents.filter((t) => t.startUs >= start && t.endUs < start + DAYS * DAY_US);
    real = incidents.filter((t) => !t.isFalseAlarm);
    finalOf = new Map(r.actions.map((a) => [a.incident.id, a.incident] as const));
    covered = real.map((t) => ({ truth: t, ticket: ticketFor(t) }));
  }, 600_000);

  const keysOf = (truth: GroundTruthIncident) =>
    new Set(
      r.events.filter((e, i) => r.truthEvents[i].incidentId === truth.id).map((e) => eventKey(e.hostname, e.timeUs))
    );
  const ticketFor = (truth: GroundTruthIncident) => {
    const keys = keysOf(truth);
    return tickets
      .map((t) => finalOf.get(t.incident.id) ?? t.incident)
      .find(
        (t) =>
          t.eventKeys.some((k) => keys.has(k)) ||
          (t.rootCause?.host === truth.rootHost &&
            t.startedAtUs <= truth.endUs &&
            t.lastAlertAtUs >= truth.startUs - HOUR_US)
      );
  };

  it('When a month of telemetry is triaged, then there are at least 90% fewer tickets than alert-level events', () => {
    const routed = covered.filter((c) => c.ticket?.department === c.truth.expected.department);
    const prioritised = covered.filter((c) => c.ticket?.priority === c.truth.expected.priority);
    const byPattern = new Map<string, number>();
    for (const t of tickets) {
      const label = `${t.incident.pattern}/${finalOf.get(t.incident.id)?.eventClass ?? t.incident.eventClass}`;
      byPattern.set(label, (byPattern.get(label) ?? 0) + 1);
    }
    console.info(
      [
        `${DAYS} days, seed 42: ${alerts.length} alert-level events -> ${tickets.length} tickets`,
        `(${(100 * (1 - tickets.length / alerts.length)).toFixed(1)}% fewer);`,
        `${real.length} real incidents, ${covered.filter((c) => c.ticket).length} covered,`,
        `department agrees on ${routed.length}, priority on ${prioritised.length};`,
        `${incidents.length - real.length} false alarms, ${r.changes.filter((c) => c.decision === 'false_alarm').length} events re-labelled false_alarm;`,
        `tickets by pattern/class: ${[...byPattern].map(([k, n]) => `${k} ${n}`).join(', ')};`,
        `mismatched departments: ${covered
          .filter((c) => c.ticket?.department !== c.truth.expected.department)
          .map(
            (c) =>
              `${c.truth.kind}@${c.truth.siteKind} ${c.ticket?.department ?? '-'} vs ${c.truth.expected.department}`
          )
          .join(', ')}`,
      ].join(' ')
    );
    expect(alerts.length).toBeGreaterThan(500);
    expect(tickets.length).toBeLessThanOrEqual(alerts.length * 0.1);
  });

  it('When a month of telemetry is triaged, then every real incident is covered by a ticket', () => {
    expect(real.length).toBeGreaterThan(10);
    expect(covered.filter((c) => c.ticket === undefined).map((c) => c.truth.id)).toEqual([]);
  });

  it('When a power flicker recovers on its own, then no ticket holds its alerts', () => {
    for (const flicker of incidents.filter((t) => t.isFalseAlarm)) {
      const keys = keysOf(flicker);
      expect(tickets.filter((t) => t.incident.eventKeys.some((k) => keys.has(k))).map((t) => t.incident.id)).toEqual(
        []
      );
    }
  });
});

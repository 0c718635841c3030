import { INPUT } from '@nocai/contract';
import type { GroundTruthEvent, GroundTruthIncident } from '@nocai/contract';
import type { SeriesPoint } from '../domain/series';
import { HOUR_US, MINUTE_US, SECOND_US } from './calendar';
import type { ScenarioSpec } from './incidents';
import { generateInventory } from './inventory';
import { Simulation } from './simulation';
import { SEVERITY_CODES } from './templates';

const inventory = generateInventory({ seed: 42 });
/** Tuesday 5 March 2024, noon UTC. */
const NOON = Date.UTC(2024, 2, 5, 12) * 1000;

interface Run {
  points: SeriesPoint[];
  events: GroundTruthEvent[];
  incidents: GroundTruthIncident[];
  syslog: SeriesPoint[];
}

function run(sim: Simulation, fromUs: number, toUs: number, sliceUs = HOUR_US): Run {
  const out: Run = { points: [], events: [], incidents: [], syslog: [] };
  for (let t = fromUs; t < toUs; t += sliceUs) {
    const slice = sim.generate(t, Math.min(toUs, t + sliceUs));
    out.points.push(...slice.points);
    out.events.push(...slice.events);
    out.incidents.push(...slice.incidents);
  }
  out.syslog = out.points.filter((p) => p.measurement === 'syslog');
  return out;
}

function quietSim(scenarios: ScenarioSpec[], seed = 42): Simulation {
  return new Simulation({ seed, inventory, incidentsPerSiteDay: 0, scenarios });
}

const hostOf = (p: SeriesPoint) => p.tags.hostname ?? p.tags.host;
const timesOf = (r: Run, host: string) =>
  r.points
    .filter((p) => hostOf(p) === host)
    .map((p) => p.timeUs)
    .sort((a, b) => a - b);
const messagesOf = (r: Run, host: string) =>
  r.syslog.filter((p) => p.tags.hostname === host).sort((a, b) => a.timeUs - b.timeUs);
const text = (p: SeriesPoint) => String(p.fields.message);
const largestGapUs = (times: number[]) => times.slice(1).reduce((gap, t, i) => Math.max(gap, t - times[i]), 0);

describe('Simulation determinism', () => {
  it('When run twice with the same seed, then the output is identical; with another seed it differs', () => {
    const a = run(new Simulation({ seed: 42, inventory }), NOON, NOON + 3 * HOUR_US);
    const b = run(new Simulation({ seed: 42, inventory }), NOON, NOON + 3 * HOUR_US);
    const c = run(new Simulation({ seed: 43, inventory }), NOON, NOON + 3 * HOUR_US);
    expect(b.points).toEqual(a.points);
    expect(b.events).toEqual(a.events);
    expect(c.points).not.toEqual(a.points);
  });

  it('When the period is cut into different slices, then the same points come out', () => {
    const key = (p: SeriesPoint) => JSON.stringify([p.measurement, p.tags, p.fields, p.intFields, p.timeUs]);
    const hourly = run(new Simulation({ seed: 5, inventory }), NOON, NOON + 2 * HOUR_US)
      .points.map(key)
      .sort();
    const ragged = run(new Simulation({ seed: 5, inventory }), NOON, NOON + 2 * HOUR_US, 7 * MINUTE_US + 3)
      .points.map(key)
      .sort();
    expect(ragged).toEqual(hourly);
  });
});

describe('Telegraf shapes', () => {
  const r = run(quietSim([]), NOON, NOON + HOUR_US);

  it('When a server reports, then cpu, mem, disk, net and system arrive every minute in Telegraf form', () => {
    const server = inventory.devices.find((d) => d.kind === 'server')?.host ?? '';
    const cpu = r.points.filter((p) => p.measurement === 'cpu' && p.tags.host === server);
    expect(cpu).toHaveLength(60);
    expect(cpu[0].tags.cpu).toBe('cpu-total');
    const f = cpu[0].fields as Record<string, number>;
    expect(f.usage_user + f.usage_system + f.usage_idle).toBeCloseTo(100, 1);
    for (const m of ['mem', 'disk', 'net', 'system']) {
      expect(r.points.some((p) => p.measurement === m && p.tags.host === server)).toBe(true);
    }
    const disk = r.points.find((p) => p.measurement === 'disk' && p.tags.host === server);
    expect(disk?.tags.path).toBeDefined();
    expect(Number.isInteger(disk?.intFields?.free)).toBe(true);
    const net = r.points.find((p) => p.measurement === 'net' && p.tags.host === server);
    expect(Object.keys(net?.intFields ?? {}).sort()).toEqual(['bytes_recv', 'bytes_sent', 'err_in', 'err_out']);
    expect(
      r.points.find((p) => p.measurement === 'system' && p.tags.host === server)?.intFields?.uptime
    ).toBeGreaterThan(0);
  });

  it('When a sensor reports, then it writes the four sensor fields tagged host, site and kind', () => {
    const sensor = r.points.find((p) => p.measurement === INPUT.sensors.measurement);
    expect(Object.keys(sensor?.tags ?? {}).sort()).toEqual(['host', 'kind', 'site']);
    expect(Object.keys(sensor?.fields ?? {}).sort()).toEqual([
      'power_w',
      'pressure_kpa',
      'temperature_c',
      'vibration_mm_s',
    ]);
  });

  it('When syslog is written, then tags, message and integer codes match what Telegraf writes', () => {
    expect(r.syslog.length).toBeGreaterThan(100);
    for (const p of r.syslog) {
      expect(Object.keys(p.tags).sort()).toEqual(['appname', 'facility', 'hostname', 'severity']);
      expect(typeof p.fields.message).toBe('string');
      expect(p.intFields?.severity_code).toBe(SEVERITY_CODES[p.tags.severity as keyof typeof SEVERITY_CODES]);
      expect(Number.isInteger(p.intFields?.facility_code)).toBe(true);
    }
  });

  it('When ground truth is produced, then it never travels inside the series', () => {
    const allowedTags = new Set([
      'host',
      'hostname',
      'appname',
      'severity',
      'facility',
      'cpu',
      'path',
      'interface',
      'site',
      'kind',
    ]);
    for (const p of r.points) for (const k of Object.keys(p.tags)) expect(allowedTags.has(k)).toBe(true);
    expect(r.events).toHaveLength(r.syslog.length);
  });

  it('When a factory is compared at weekday noon and Sunday night, then it draws more power at noon', () => {
    const sim = quietSim([]);
    const sundayNight = Date.UTC(2024, 2, 3, 2) * 1000;
    const power = (from: number) =>
      run(sim, from, from + HOUR_US)
        .points.filter(
          (p) => p.measurement === 'sensors' && p.tags.site === 'fact-01' && p.tags.kind === 'power_switch'
        )
        .reduce((sum, p) => sum + Number(p.fields.power_w), 0);
    expect(power(NOON)).toBeGreaterThan(1.5 * power(sundayNight));
  });
});

describe('syslog ground truth', () => {
  it('When two busy days with incidents are generated, then no host has two lines on the same microsecond', () => {
    const sim = new Simulation({
      seed: 11,
      inventory,
      incidentsPerSiteDay: 3,
      scenarios: [{ kind: 'brute_force', atUs: NOON, siteKind: 'hotel', durationMinutes: 5 }],
    });
    const r = run(sim, NOON - 24 * HOUR_US, NOON + 24 * HOUR_US);
    const keys = r.syslog.map((p) => `${p.tags.hostname} ${p.timeUs}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(r.incidents.length).toBeGreaterThan(3);
    r.events.forEach((e, i) => {
      expect(e.hostname).toBe(r.syslog[i].tags.hostname);
      expect(e.timeUs).toBe(r.syslog[i].timeUs);
    });
    const incidentIds = new Set(r.incidents.map((i) => i.id));
    for (const e of r.events) if (e.incidentId) expect(incidentIds.has(e.incidentId)).toBe(true);
  });
});

describe('Site power failure', () => {
  const sim = quietSim([{ kind: 'power_failure', atUs: NOON, siteKind: 'hospital', durationMinutes: 40 }]);
  const r = run(sim, NOON - HOUR_US, NOON + 2 * HOUR_US);
  const incident = r.incidents[0];
  const ps = sim.topology.powerSwitchOf('hosp-01');
  const dependants = sim.topology.dependantsOf(ps?.host ?? '');

  it('When the hospital loses power at 12:00, then ground truth names its power switch as root', () => {
    expect(r.incidents).toHaveLength(1);
    expect(incident.kind).toBe('power_failure');
    expect(incident.rootHost).toBe(ps?.host);
    expect(incident.affectedHosts).toEqual(expect.arrayContaining(dependants.map((d) => d.host)));
    expect(incident.expected).toEqual({ eventClass: 'power', department: 'field_technicians', priority: 'P1' });
    expect(incident.isFalseAlarm).toBe(false);
  });

  it('When power is lost, then the power switch logs "input voltage lost" and falls silent first', () => {
    const psLines = messagesOf(r, ps?.host ?? '');
    const lost = psLines.find((p) => text(p).includes('input voltage lost'));
    expect(lost).toBeDefined();
    const lostUs = lost?.timeUs ?? 0;
    expect(lostUs).toBeGreaterThanOrEqual(NOON);
    expect(lostUs).toBeLessThan(NOON + MINUTE_US);
    const psTimes = timesOf(r, ps?.host ?? '');
    const next = psTimes.find((t) => t > lostUs) ?? Infinity;
    expect(next - lostUs).toBeGreaterThanOrEqual(40 * MINUTE_US - SECOND_US);

    for (const d of dependants) {
      const times = timesOf(r, d.host);
      const lastBefore = Math.max(...times.filter((t) => t < NOON + 10 * MINUTE_US));
      const firstAfter = Math.min(...times.filter((t) => t > lastBefore));
      // Dependants outlive the switch by a little (buffers, batteries), never by more than three minutes.
      expect(lastBefore).toBeLessThanOrEqual(lostUs + 3 * MINUTE_US);
      expect(firstAfter).toBeGreaterThanOrEqual(lostUs + 40 * MINUTE_US);
      if (d.kind !== 'patient_monitor') expect(lastBefore).toBeGreaterThan(lostUs);
    }
  });

  it('When power returns, then every device reports again and servers show a fresh uptime', () => {
    const restoredUs = NOON + 41 * MINUTE_US;
    for (const d of dependants) {
      expect(timesOf(r, d.host).some((t) => t > restoredUs && t < restoredUs + 20 * MINUTE_US)).toBe(true);
    }
    const server = dependants.find((d) => d.kind === 'server');
    const uptime = r.points.find(
      (p) => p.measurement === 'system' && p.tags.host === server?.host && p.timeUs > restoredUs
    );
    expect(uptime?.intFields?.uptime).toBeLessThan(15 * 60);
  });

  it('When its lines are labelled, then they carry the incident id and the power class', () => {
    const labelled = r.events.filter((e) => e.incidentId === incident.id);
    expect(labelled.length).toBeGreaterThanOrEqual(dependants.length);
    const lost = labelled.find((e) => e.templateId === 'pwr.input_lost');
    expect(lost).toMatchObject({ hostname: ps?.host, eventClass: 'power', decision: 'alert' });
    expect(r.events.filter((e) => e.incidentId === null).every((e) => e.decision !== 'false_alarm')).toBe(true);
  });
});

describe('Power flicker', () => {
  const sim = quietSim([{ kind: 'power_flicker', atUs: NOON, siteKind: 'factory' }]);
  const r = run(sim, NOON - HOUR_US, NOON + HOUR_US);
  const ps = sim.topology.powerSwitchOf('fact-01')?.host ?? '';

  it('When input power blips, then a recovery line follows within five minutes and it is a false alarm', () => {
    const lines = messagesOf(r, ps);
    const lost = lines.find((p) => text(p).includes('input voltage lost'));
    const restored = lines.find((p) => text(p).includes('input voltage restored'));
    expect(lost).toBeDefined();
    expect(restored).toBeDefined();
    expect((restored?.timeUs ?? Infinity) - (lost?.timeUs ?? 0)).toBeLessThan(5 * MINUTE_US);
    expect(r.incidents[0]).toMatchObject({ kind: 'power_flicker', isFalseAlarm: true, rootHost: ps });
    expect(r.events.filter((e) => e.incidentId === r.incidents[0].id).every((e) => e.decision === 'false_alarm')).toBe(
      true
    );
  });

  it('When input power blips, then no device of the site goes silent', () => {
    for (const d of sim.topology.devicesOf('fact-01')) {
      if (d.kind === 'patient_monitor') continue;
      const times = timesOf(r, d.host).filter((t) => t > NOON - 30 * MINUTE_US && t < NOON + 30 * MINUTE_US);
      expect(largestGapUs(times)).toBeLessThanOrEqual(16 * MINUTE_US);
    }
    const psTimes = r.points.filter((p) => p.measurement === 'sensors' && p.tags.host === ps).map((p) => p.timeUs);
    expect(largestGapUs(psTimes)).toBeLessThanOrEqual(MINUTE_US);
  });
});

describe('Slow-burning incidents', () => {
  it('When a PLC overheats, then its temperature climbs, warnings come first, then the halt line', () => {
    const plc = inventory.devices.find((d) => d.kind === 'plc')?.host ?? '';
    const sim = quietSim([{ kind: 'overheating', atUs: NOON, host: plc, durationMinutes: 180 }]);
    const r = run(sim, NOON - HOUR_US, NOON + 4 * HOUR_US);
    const temps = r.points.filter((p) => p.measurement === 'sensors' && p.tags.host === plc);
    const before = Number(temps.find((p) => p.timeUs > NOON - 5 * MINUTE_US)?.fields.temperature_c);
    const peak = Math.max(...temps.map((p) => Number(p.fields.temperature_c)));
    expect(peak - before).toBeGreaterThan(20);
    const lines = r.events.filter((e) => e.hostname === plc && e.incidentId);
    const halt = lines.findIndex((e) => e.templateId === 'hw.plc_temp_halt');
    expect(halt).toBeGreaterThan(0);
    expect(lines.slice(0, halt).every((e) => e.templateId === 'hw.plc_temp_warn')).toBe(true);
    expect(r.incidents[0].expected.eventClass).toBe('hardware');
  });

  it('When a disk fills up, then used_percent climbs to 100 after warnings and writes fail with "No space left on device"', () => {
    const sim = quietSim([{ kind: 'disk_full', atUs: NOON, siteKind: 'factory', durationMinutes: 120 }]);
    const r = run(sim, NOON - HOUR_US, NOON + 4 * HOUR_US);
    const host = r.incidents[0].rootHost;
    const used = r.points.filter((p) => p.measurement === 'disk' && p.tags.host === host && p.tags.path === '/var');
    expect(Math.max(...used.map((p) => Number(p.fields.used_percent)))).toBeGreaterThan(99.9);
    const lines = messagesOf(r, host).filter((p) => /full|No space/.test(text(p)));
    const firstFailure = lines.findIndex((p) => text(p).includes('No space left on device'));
    expect(firstFailure).toBeGreaterThan(0);
    expect(lines.slice(0, firstFailure).every((p) => /filesystem \/var is \d+% full/.test(text(p)))).toBe(true);
  });
});

describe('Bursty incidents', () => {
  it('When a link flaps, then down and up alternate repeatedly and interface errors grow', () => {
    const sim = quietSim([{ kind: 'link_flapping', atUs: NOON, siteKind: 'hospital', durationMinutes: 20 }]);
    const r = run(sim, NOON, NOON + HOUR_US);
    const root = r.incidents[0].rootHost;
    const states = messagesOf(r, root)
      .map((p) => /%LINK-3-UPDOWN: Interface (\S+), changed state to (up|down)/.exec(text(p)))
      .filter((m): m is RegExpExecArray => m !== null);
    expect(states.filter((m) => m[2] === 'down').length).toBeGreaterThanOrEqual(3);
    states.forEach((m, i) => expect(m[2]).toBe(i % 2 === 0 ? 'down' : 'up'));
    const iface = states[0][1];
    const errors = r.points
      .filter((p) => p.measurement === 'net' && p.tags.host === root && p.tags.interface === iface)
      .map((p) => p.intFields?.err_in ?? 0);
    expect(errors[errors.length - 1] - errors[0]).toBeGreaterThan(50);
  });

  it('When a service crash-loops, then segfaults and restarts repeat with a growing counter', () => {
    const sim = quietSim([{ kind: 'crash_loop', atUs: NOON, siteKind: 'hospital', durationMinutes: 10 }]);
    const r = run(sim, NOON, NOON + HOUR_US);
    const lines = messagesOf(r, r.incidents[0].rootHost).map(text);
    expect(lines.filter((l) => l.includes('segfault')).length).toBeGreaterThanOrEqual(3);
    const counters = lines
      .map((l) => /restart counter is at (\d+)/.exec(l)?.[1])
      .filter(Boolean)
      .map(Number);
    expect(counters).toEqual(counters.map((_, i) => i + 1));
  });

  it('When an attacker brute-forces SSH, then many failed logins come from one external address', () => {
    const server = inventory.devices.find((d) => d.site === 'hotel-01' && d.kind === 'server')?.host ?? '';
    const sim = quietSim([{ kind: 'brute_force', atUs: NOON, host: server, durationMinutes: 15 }]);
    const r = run(sim, NOON, NOON + HOUR_US);
    const incidentId = r.incidents[0].id;
    const failed = r.syslog.filter(
      (p, i) => r.events[i].incidentId === incidentId && /Failed password|Login failed/.test(text(p))
    );
    expect(failed.length).toBeGreaterThanOrEqual(30);
    const sources = new Set(failed.map((p) => /from ([\d.]+)/.exec(text(p))?.[1]));
    expect(sources.size).toBe(1);
    expect(r.events.filter((e) => e.incidentId === incidentId).every((e) => e.eventClass === 'security')).toBe(true);
  });
});

describe('Automatic incidents', () => {
  it('When a month is simulated, then every incident kind occurs and incidents of one site never overlap', () => {
    const sim = new Simulation({ seed: 42, inventory });
    const month = sim.incidentsBetween(NOON, NOON + 60 * 24 * HOUR_US);
    expect(new Set(month.map((i) => i.kind)).size).toBe(7);
    for (const site of inventory.sites) {
      const own = month.filter((i) => i.site === site.id).sort((a, b) => a.startUs - b.startUs);
      own.slice(1).forEach((inc, i) => expect(inc.startUs).toBeGreaterThan(own[i].endUs));
    }
  });

  it('When a scenario is injected over an automatic incident of the same site, then the injected one wins', () => {
    const sim = new Simulation({ seed: 42, inventory, incidentsPerSiteDay: 24 });
    const window = [NOON, NOON + 48 * HOUR_US] as const;
    const before = sim.incidentsBetween(...window).filter((i) => i.site === 'hosp-01');
    expect(before.length).toBeGreaterThan(0);
    const injected = sim.inject({ kind: 'power_failure', atUs: before[0].startUs, site: 'hosp-01' });
    const after = sim.incidentsBetween(...window).filter((i) => i.site === 'hosp-01');
    expect(after.map((i) => i.id)).toContain(injected.id);
    expect(after.map((i) => i.id)).not.toContain(before[0].id);
  });

  it('When a scenario names a device that cannot have it, then it is refused with a reason', () => {
    const sim = quietSim([]);
    expect(() => sim.inject({ kind: 'disk_full', atUs: NOON, host: 'hosp-01-mon-01' })).toThrow(
      /disk_full cannot start on hosp-01-mon-01, a patient_monitor/
    );
  });
});

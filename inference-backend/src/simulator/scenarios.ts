import type { DeviceKind, GroundTruthIncident, IncidentKind } from '@nocai/contract';
import { bootTemplateOf } from './background';
import { MINUTE_US, SECOND_US } from './calendar';
import type { Rng } from './random';
import { externalIp, pickBadUser, pickService, pickUser, pickZone, renderMessage } from './render';
import type { HostContext, TemplateVars } from './render';
import type { MetricEffect, TelemetryModel } from './telemetry';
import { templateById } from './templates';
import type { MessageTemplate } from './templates';
import type { SimDevice, Topology } from './topology';
import { expectedTriage, URGENCY } from './triage';

/**
 * How each kind of incident plays out on the devices: the lines it logs, the silences, the
 * metric effects and the reboots, drawn from the incident's own random stream.
 */

/** A syslog line an incident writes; the text is rendered when the incident is planned. */
export interface ScriptedLine {
  timeUs: number;
  device: SimDevice;
  template: MessageTemplate;
  message: string;
}

/** Everything an incident does to the telemetry, plus its ground truth. */
export interface IncidentPlan {
  truth: GroundTruthIncident;
  lines: ScriptedLine[];
  silences: { device: SimDevice; fromUs: number; toUs: number }[];
  effects: { device: SimDevice; effect: MetricEffect }[];
  boots: { device: SimDevice; bootUs: number }[];
}

function formatDuration(us: number): string {
  const s = Math.round(us / SECOND_US);
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ${s % 60}s`;
}

class PlanBuilder {
  readonly lines: ScriptedLine[] = [];
  readonly silences: IncidentPlan['silences'] = [];
  readonly effects: IncidentPlan['effects'] = [];
  readonly boots: IncidentPlan['boots'] = [];
  readonly affected = new Set<string>();

  constructor(
    readonly r: Rng,
    private readonly contextOf: (device: SimDevice) => HostContext
  ) {}

  line(timeUs: number, device: SimDevice, templateId: string, vars?: TemplateVars): void {
    const template = templateById(templateId);
    if (!template.deviceKinds.includes(device.kind)) {
      throw new Error(`template ${templateId} does not fit a ${device.kind} (${device.host})`);
    }
    const message = renderMessage(template, this.r, this.contextOf(device), vars);
    this.lines.push({ timeUs: Math.round(timeUs), device, template, message });
    this.affected.add(device.host);
  }

  silence(device: SimDevice, fromUs: number, toUs: number): void {
    this.silences.push({ device, fromUs: Math.round(fromUs), toUs: Math.round(toUs) });
    this.affected.add(device.host);
  }

  effect(device: SimDevice, effect: MetricEffect): void {
    this.effects.push({ device, effect });
    this.affected.add(device.host);
  }

  boot(device: SimDevice, bootUs: number): void {
    this.boots.push({ device, bootUs: Math.round(bootUs) });
  }

  build(
    base: Omit<GroundTruthIncident, 'startUs' | 'endUs' | 'affectedHosts'>,
    root: SimDevice,
    topology: Topology
  ): IncidentPlan {
    this.lines.sort((a, b) => a.timeUs - b.timeUs);
    let startUs = Infinity;
    let endUs = -Infinity;
    const span = (from: number, to: number) => {
      startUs = Math.min(startUs, from);
      endUs = Math.max(endUs, to);
    };
    for (const l of this.lines) span(l.timeUs, l.timeUs);
    for (const s of this.silences) span(s.fromUs, s.toUs);
    for (const e of this.effects) span(e.effect.fromUs, e.effect.toUs);
    const order = (host: string) => (host === root.host ? -1 : (topology.device(host)?.index ?? 0));
    const affectedHosts = [...this.affected].sort((a, b) => order(a) - order(b));
    return {
      truth: { ...base, startUs, endUs, affectedHosts },
      lines: this.lines,
      silences: this.silences,
      effects: this.effects,
      boots: this.boots,
    };
  }
}

export interface PlanArgs {
  id: string;
  kind: IncidentKind;
  root: SimDevice;
  startUs: number;
  durationUs?: number;
  rng: Rng;
  topology: Topology;
  telemetry: TelemetryModel;
  contextOf: (device: SimDevice) => HostContext;
}

const DYING_LINE: Record<DeviceKind, string | undefined> = {
  server: 'pwr.psu_ac_lost',
  router: 'pwr.psu_redundancy',
  network_switch: 'pwr.psu_redundancy',
  patient_monitor: 'pwr.monitor_on_battery',
  plc: 'pwr.rail_fault',
  sensor: 'pwr.rail_fault',
  ups: undefined,
  power_switch: undefined,
};

function bootDelayUs(kind: DeviceKind, r: Rng): number {
  if (kind === 'server') return r.int(90, 300) * SECOND_US;
  if (kind === 'router' || kind === 'network_switch') return r.int(120, 420) * SECOND_US;
  return r.int(20, 120) * SECOND_US;
}

function upsOf(ps: SimDevice, topology: Topology): SimDevice | undefined {
  return ps.dependsOn.map((h) => topology.device(h)).find((d): d is SimDevice => d?.kind === 'ups');
}

function planPowerFailure(a: PlanArgs, b: PlanBuilder): string {
  const { root: ps, startUs: S, rng: r } = a;
  const ups = upsOf(ps, a.topology);
  let lostUs = S + r.int(0, SECOND_US);
  const outageUs = a.durationUs ?? r.int(20, 120) * MINUTE_US;
  if (ups) {
    // The UPS should have bridged the outage; its battery fails and drops the load.
    b.line(S + r.int(200_000, 1_500_000), ups, 'pwr.ups_on_battery', { pct: r.int(85, 100), mins: r.int(8, 25) });
    const offUs = S + r.int(3, 10) * SECOND_US;
    b.line(offUs, ups, 'pwr.ups_output_off');
    lostUs = offUs + r.int(100_000, 900_000);
  }
  const feed = r.pick(['A', 'B']);
  b.line(lostUs, ps, 'pwr.input_lost', { feed, volts: r.int(221, 239) });
  const restoredUs = lostUs + outageUs;
  b.silence(ps, lostUs + 1, restoredUs);
  b.line(restoredUs, ps, 'pwr.input_restored', { feed, volts: r.int(221, 239), dur: formatDuration(outageUs) });
  b.boot(ps, restoredUs);
  if (ups) {
    b.effect(ups, { kind: 'power_dip', fromUs: S, toUs: restoredUs, factor: 0.02 });
    b.line(restoredUs + r.int(1, 5) * SECOND_US, ups, 'pwr.ups_restored', { pct: r.int(5, 40) });
  }
  const dependants = a.topology.dependantsOf(ps.host);
  for (const d of dependants) {
    const silentUs = lostUs + r.int(60, 180) * SECOND_US;
    const dying = DYING_LINE[d.kind];
    const talkative = d.kind === 'server' || d.kind === 'router' || d.kind === 'network_switch' ? 0.6 : 0.35;
    if (dying && r.chance(talkative)) b.line(silentUs - r.int(1, 20) * SECOND_US, d, dying);
    const backUs = restoredUs + bootDelayUs(d.kind, r);
    b.silence(d, silentUs, backUs);
    b.line(backUs, d, bootTemplateOf(d.kind).id);
    b.boot(d, backUs);
    if (d.kind === 'router' || d.kind === 'network_switch') {
      b.line(backUs + r.int(1, 5) * SECOND_US, d, 'net.link_up', { iface: a.telemetry.interfacesOf(d)[0] });
    }
  }
  return `${ps.site.name}: mains power lost at ${ps.host}, ${dependants.length} dependent devices down for ${Math.round(outageUs / MINUTE_US)} min`;
}

function planPowerFlicker(a: PlanArgs, b: PlanBuilder): string {
  const { root: ps, startUs: S, rng: r } = a;
  const ups = upsOf(ps, a.topology);
  const feed = r.pick(['A', 'B']);
  // A flicker recovers within five minutes; a longer forced duration is clamped to stay one.
  const blipUs = Math.min(a.durationUs ?? r.int(5, 240) * SECOND_US, 270 * SECOND_US);
  b.line(S, ps, 'pwr.input_lost', { feed, volts: r.int(221, 239) });
  const backUs = S + blipUs;
  b.line(backUs, ps, 'pwr.input_restored', { feed, volts: r.int(221, 239), dur: formatDuration(blipUs) });
  if (ups) {
    b.line(S + r.int(100_000, 800_000), ups, 'pwr.ups_on_battery', { pct: 100, mins: r.int(8, 25) });
    b.line(backUs + r.int(500_000, 3 * SECOND_US), ups, 'pwr.ups_restored', { pct: r.int(90, 99) });
    b.effect(ups, { kind: 'power_dip', fromUs: S, toUs: backUs, factor: 0.02 });
  }
  return `${ps.site.name}: input voltage on ${ps.host} dropped for ${Math.round(blipUs / SECOND_US)} s and came back by itself`;
}

function planOverheating(a: PlanArgs, b: PlanBuilder): string {
  const { root, startUs: S, rng: r, telemetry } = a;
  const plc = root.kind === 'plc';
  const rampUs = a.durationUs ?? r.int(120, 360) * MINUTE_US;
  const peakUs = S + rampUs;
  const deltaC = plc ? r.range(28, 40) : r.range(12, 20);
  const base = telemetry.temperatureC(root, S);
  const warnC = Math.round(base + deltaC * 0.4);
  const critC = Math.round(base + deltaC * 0.85);
  const tempAt = (t: number) => telemetry.temperatureC(root, t) + deltaC * Math.pow(Math.min(1, (t - S) / rampUs), 1.5);
  const zone = pickZone(r, root.site.kind);
  let lastWarnUs = -Infinity;
  let critical = false;
  for (let t = S + MINUTE_US; t < peakUs; t += MINUTE_US) {
    const temp = tempAt(t);
    if (!plc && !critical && temp >= critC) {
      critical = true;
      b.line(t + r.int(0, 59) * SECOND_US, root, 'env.temp_critical', { temp: temp.toFixed(1), thr: critC, zone });
      lastWarnUs = t;
    } else if (temp >= warnC && t - lastWarnUs >= r.int(15, 40) * MINUTE_US) {
      const id = plc ? 'hw.plc_temp_warn' : 'env.temp_high';
      b.line(t + r.int(0, 59) * SECOND_US, root, id, { temp: temp.toFixed(1), thr: warnC, zone });
      lastWarnUs = t;
    }
  }
  const peakC = tempAt(peakUs).toFixed(1);
  if (plc) {
    b.line(peakUs, root, 'hw.plc_temp_halt', { temp: peakC, thr: critC });
    b.effect(root, { kind: 'temp_ramp', fromUs: S, peakUs, toUs: peakUs + 1, deltaC });
    const backUs = peakUs + r.int(30, 120) * MINUTE_US;
    b.silence(root, peakUs + 1, backUs);
    b.line(backUs, root, bootTemplateOf(root.kind).id);
    b.boot(root, backUs);
    return `${root.site.name}: ${root.host} CPU module overheated to ${peakC} C and halted`;
  }
  b.line(peakUs, root, 'env.hvac_fault', { temp: peakC, zone, n: r.int(1, 4) });
  const recoveryUs = r.int(30, 90) * MINUTE_US;
  b.effect(root, { kind: 'temp_ramp', fromUs: S, peakUs, toUs: peakUs + recoveryUs, deltaC });
  return `${root.site.name}: ${zone} temperature at ${root.host} rose to ${peakC} C (HVAC failure)`;
}

const ENDPOINT_NETWORK_LINE: Partial<Record<DeviceKind, string>> = {
  server: 'net.gw_unreachable',
  patient_monitor: 'net.central_lost',
  plc: 'net.modbus_timeout',
  sensor: 'net.mqtt_lost',
};

function planLinkFlapping(a: PlanArgs, b: PlanBuilder): string {
  const { root, startUs: S, rng: r } = a;
  const iface = r.pick(a.telemetry.interfacesOf(root));
  const windowUs = a.durationUs ?? r.int(10, 60) * MINUTE_US;
  let t = S;
  let flaps = 0;
  let lastUpUs = S;
  while (t < S + windowUs || flaps < 3) {
    b.line(t, root, 'net.link_down', { iface });
    b.line(t + r.int(200_000, SECOND_US), root, 'net.lineproto_down', { iface });
    lastUpUs = t + r.int(2, 40) * SECOND_US;
    b.line(lastUpUs, root, 'net.link_up', { iface });
    b.line(lastUpUs + r.int(200_000, SECOND_US), root, 'net.lineproto_up', { iface });
    flaps++;
    t = lastUpUs + r.int(30, 300) * SECOND_US;
  }
  if (root.kind === 'router' && r.chance(0.5)) b.line(S + r.int(2, 10) * SECOND_US, root, 'net.ospf_down', { iface });
  b.effect(root, { kind: 'net_errors', iface, fromUs: S, toUs: lastUpUs, errors: flaps * r.int(40, 400) });
  const victims = a.topology.dependantsOf(root.host).filter((d) => ENDPOINT_NETWORK_LINE[d.kind] !== undefined);
  r.shuffle([...victims])
    .slice(0, r.int(0, 3))
    .forEach((v) => {
      const id = ENDPOINT_NETWORK_LINE[v.kind];
      if (id) b.line(S + r.int(0, Math.max(1, lastUpUs - S)), v, id);
    });
  return `${root.site.name}: ${iface} on ${root.host} flapped ${flaps} times`;
}

function planDiskFull(a: PlanArgs, b: PlanBuilder): string {
  const { root, startUs: S, rng: r, telemetry } = a;
  const path = '/var';
  const fillUs = a.durationUs ?? r.int(120, 480) * MINUTE_US;
  const fullUs = S + fillUs;
  const used0 = telemetry.diskUsedPercent(root, path, S);
  const totalGb = telemetry.diskTotalBytes(root, path) / 1024 ** 3;
  for (const threshold of [85, 90, 95, 98]) {
    if (threshold <= used0 + 1) continue;
    const progress = Math.sqrt((threshold - used0) / (100 - used0));
    b.line(S + progress * fillUs + r.int(0, 59) * SECOND_US, root, 'sw.disk_warn', {
      path,
      pct: threshold,
      free: ((totalGb * (100 - threshold)) / 100).toFixed(1),
    });
  }
  const cleanedUs = fullUs + r.int(15, 60) * MINUTE_US;
  for (let t = fullUs; t < cleanedUs; t += r.int(30, 300) * SECOND_US) {
    b.line(t, root, r.chance(0.5) ? 'sw.disk_full_db' : 'sw.disk_full_log', { path });
  }
  b.effect(root, { kind: 'disk_fill', path, fromUs: S, fullUs, toUs: cleanedUs });
  return `${root.site.name}: ${path} on ${root.host} filled up (No space left on device)`;
}

function planCrashLoop(a: PlanArgs, b: PlanBuilder): string {
  const { root, startUs: S, rng: r } = a;
  const svc = pickService(r);
  const proc = svc === 'postgresql' ? 'postgres' : svc;
  const windowUs = a.durationUs ?? r.int(10, 45) * MINUTE_US;
  let t = S;
  let restarts = 0;
  while (t < S + windowUs || restarts < 3) {
    restarts++;
    b.line(t, root, 'sw.segfault', { proc });
    b.line(t + r.int(50_000, 500_000), root, 'sw.main_exited', { svc });
    b.line(t + r.int(600_000, 5 * SECOND_US), root, 'sw.restart_scheduled', { svc, count: restarts });
    t += r.int(10, 90) * SECOND_US;
  }
  if (r.chance(0.5)) {
    b.line(t, root, 'sw.start_limit', { svc });
    t += r.int(5, 20) * MINUTE_US;
  }
  b.line(t, root, 'info.systemd_started', { desc: `${svc} service` });
  b.effect(root, { kind: 'cpu_load', fromUs: S, toUs: t, extraPercent: r.range(10, 25) });
  return `${root.site.name}: ${svc} on ${root.host} crashed and restarted ${restarts} times`;
}

function planBruteForce(a: PlanArgs, b: PlanBuilder): { summary: string; urgency: number } {
  const { root, startUs: S, rng: r } = a;
  const extip = externalIp(r);
  const windowUs = a.durationUs ?? r.int(5, 40) * MINUTE_US;
  const attempts = r.int(60, 400);
  const gapUs = windowUs / attempts;
  const server = root.kind === 'server';
  let t = S;
  for (let i = 0; i < attempts; i++) {
    const port = r.int(1024, 65535);
    if (!server) {
      b.line(t, root, 'sec.net_login_failed', { extip, baduser: pickBadUser(r) });
    } else if (r.chance(0.4)) {
      const baduser = pickBadUser(r);
      b.line(t, root, 'sec.invalid_user', { extip, baduser, port });
      b.line(t + r.int(1000, 900_000), root, 'sec.failed_invalid_user', { extip, baduser, port });
    } else {
      b.line(t, root, 'sec.failed_password', { extip, user: r.chance(0.5) ? 'root' : pickUser(r), port });
    }
    if (server && i % 6 === 5) b.line(t + r.int(1000, 500_000), root, 'sec.max_auth', { extip, baduser: 'root', port });
    t += Math.max(50_000, Math.round(r.exponential(gapUs)));
  }
  const breached = r.chance(0.25);
  if (breached) {
    const baduser = r.pick(['admin', 'support', 'backup']);
    b.line(t + r.int(1, 20) * SECOND_US, root, server ? 'sec.accepted_external' : 'sec.net_login_success', {
      extip,
      baduser,
    });
  }
  const summary = `${root.site.name}: ${attempts} failed logins on ${root.host} from ${extip}${breached ? ', then one succeeded' : ''}`;
  return { summary, urgency: breached ? 1 : URGENCY.brute_force };
}

export function planIncident(a: PlanArgs): IncidentPlan {
  const b = new PlanBuilder(a.rng, a.contextOf);
  let summary: string;
  let urgency = URGENCY[a.kind];
  switch (a.kind) {
    case 'power_failure':
      summary = planPowerFailure(a, b);
      break;
    case 'power_flicker':
      summary = planPowerFlicker(a, b);
      break;
    case 'overheating':
      summary = planOverheating(a, b);
      break;
    case 'link_flapping':
      summary = planLinkFlapping(a, b);
      break;
    case 'disk_full':
      summary = planDiskFull(a, b);
      break;
    case 'crash_loop':
      summary = planCrashLoop(a, b);
      break;
    case 'brute_force': {
      const outcome = planBruteForce(a, b);
      summary = outcome.summary;
      urgency = outcome.urgency;
      break;
    }
  }
  return b.build(
    {
      id: a.id,
      kind: a.kind,
      site: a.root.site.id,
      siteKind: a.root.site.kind,
      rootHost: a.root.host,
      isFalseAlarm: a.kind === 'power_flicker',
      expected: expectedTriage(a.kind, a.root, urgency),
      summary,
    },
    a.root,
    a.topology
  );
}

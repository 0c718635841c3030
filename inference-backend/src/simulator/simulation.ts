import { INPUT } from '@nocai/contract';
import type { Decision, GroundTruthEvent, GroundTruthIncident, Inventory } from '@nocai/contract';
import type { SeriesPoint } from '../domain/series';
import { BackgroundLog } from './background';
import { DAY_US, SECOND_US } from './calendar';
import { DEFAULT_INCIDENTS_PER_SITE_DAY, IncidentSchedule } from './incidents';
import type { IncidentPlan, ScenarioSpec } from './incidents';
import { Rng } from './random';
import { hostContext, renderMessage } from './render';
import type { HostContext, TemplateVars } from './render';
import { HOST_METRIC_KINDS, SENSOR_KINDS, TelemetryModel } from './telemetry';
import type { HostEffects } from './telemetry';
import { appnameOf, FACILITY_CODES, SEVERITY_CODES } from './templates';
import type { MessageTemplate } from './templates';
import { Topology } from './topology';
import type { SimDevice } from './topology';

// Bound once: jest's sandboxed global makes every `Math.x` lookup in a hot loop several times slower.
const { floor, round } = Math;

export interface SimulationOptions {
  seed: number;
  inventory: Inventory;
  /** Telegraf's collection interval for cpu/mem/disk/net/system. */
  metricsIntervalSeconds?: number;
  /** Cadence of `sensors` readings. */
  sensorIntervalSeconds?: number;
  /** Expected automatic incidents per site and day; 0 leaves only injected scenarios. */
  incidentsPerSiteDay?: number;
  scenarios?: readonly ScenarioSpec[];
}

export const DEFAULT_METRICS_INTERVAL_SECONDS = 60;
export const DEFAULT_SENSOR_INTERVAL_SECONDS = 60;

/** What one call to `generate` produced. Ground truth travels apart from the points. */
export interface SliceOutput {
  fromUs: number;
  toUs: number;
  points: SeriesPoint[];
  syslogLines: number;
  /** One per syslog point, in the same order. */
  events: GroundTruthEvent[];
  /** Incidents seen for the first time in this slice. */
  incidents: GroundTruthIncident[];
}

/** Uptime and counters depend on the last reboot, which a power failure up to this long ago may have caused. */
const BOOT_LOOKBACK_US = 41 * DAY_US;

interface PendingLine {
  timeUs: number;
  template: MessageTemplate;
  decision: Decision;
  incidentId: string | null;
  message?: string;
  renderSeed?: number;
  vars?: TemplateVars;
}

/**
 * The NOC simulator's core: a pure generator of telemetry (Telegraf's shapes) and ground truth.
 * Call `generate` with contiguous, increasing windows; memory stays bounded whatever the length.
 */
export class Simulation {
  readonly topology: Topology;
  readonly telemetry: TelemetryModel;
  readonly metricsIntervalUs: number;
  readonly sensorIntervalUs: number;
  private readonly schedule: IncidentSchedule;
  private readonly background: BackgroundLog;
  private readonly contexts: HostContext[];
  private readonly syslogTags: Map<string, Record<string, string>>[];
  /** Last syslog timestamp per device: no two lines of one host share a microsecond. */
  private readonly lastSyslogUs: Float64Array;
  private readonly reported = new Set<string>();
  private readonly renderRng = new Rng(0);
  private readonly hostMetricDevices: SimDevice[];
  private readonly sensorDevices: SimDevice[];

  constructor(readonly options: SimulationOptions) {
    const seed = options.seed;
    this.topology = new Topology(options.inventory);
    this.telemetry = new TelemetryModel(seed, this.topology);
    this.metricsIntervalUs = round((options.metricsIntervalSeconds ?? DEFAULT_METRICS_INTERVAL_SECONDS) * SECOND_US);
    this.sensorIntervalUs = round((options.sensorIntervalSeconds ?? DEFAULT_SENSOR_INTERVAL_SECONDS) * SECOND_US);
    if (!(this.metricsIntervalUs >= SECOND_US) || !(this.sensorIntervalUs >= SECOND_US)) {
      throw new Error('metric intervals must be at least one second');
    }
    this.schedule = new IncidentSchedule(
      seed,
      this.topology,
      this.telemetry,
      options.incidentsPerSiteDay ?? DEFAULT_INCIDENTS_PER_SITE_DAY
    );
    this.background = new BackgroundLog(seed, this.topology, this.telemetry);
    this.contexts = this.topology.devices.map((d) => hostContext(d));
    this.syslogTags = this.topology.devices.map(() => new Map());
    this.lastSyslogUs = new Float64Array(this.topology.devices.length).fill(-1);
    this.hostMetricDevices = this.topology.devices.filter((d) => HOST_METRIC_KINDS.includes(d.kind));
    this.sensorDevices = this.topology.devices.filter((d) => SENSOR_KINDS.includes(d.kind));
    for (const spec of options.scenarios ?? []) this.schedule.inject(spec);
  }

  /**
   * Forces a scenario (tests: "hospital power failure at 12:00"; live demos: "now"). Inject it
   * before generating the time it starts at; the part of it that lies in the past is not replayed.
   */
  inject(spec: ScenarioSpec): GroundTruthIncident {
    return this.schedule.inject(spec).truth;
  }

  /** Ground truth of every incident with an effect in [fromUs, toUs) (used for ticket history). */
  incidentsBetween(fromUs: number, toUs: number): GroundTruthIncident[] {
    return this.schedule.plansBetween(fromUs, toUs).map((p) => p.truth);
  }

  generate(fromUs: number, toUs: number): SliceOutput {
    const points: SeriesPoint[] = [];
    const events: GroundTruthEvent[] = [];
    const incidents: GroundTruthIncident[] = [];
    if (toUs <= fromUs) return { fromUs, toUs, points, syslogLines: 0, events, incidents };

    const plans = this.schedule.plansBetween(fromUs - BOOT_LOOKBACK_US, toUs);
    const active = plans.filter((p) => p.truth.startUs < toUs && p.truth.endUs >= fromUs);
    for (const p of active) {
      if (!this.reported.has(p.truth.id)) {
        this.reported.add(p.truth.id);
        incidents.push(p.truth);
      }
    }
    const states = this.hostStates(plans, active);

    this.metrics(this.hostMetricDevices, this.metricsIntervalUs, fromUs, toUs, states, points, true);
    this.metrics(this.sensorDevices, this.sensorIntervalUs, fromUs, toUs, states, points, false);
    const syslogLines = this.syslog(active, fromUs, toUs, states, points, events);

    this.schedule.prune(fromUs - BOOT_LOOKBACK_US);
    return { fromUs, toUs, points, syslogLines, events, incidents };
  }

  private hostStates(plans: IncidentPlan[], active: IncidentPlan[]): (HostEffects | undefined)[] {
    const states: (HostEffects | undefined)[] = new Array(this.topology.devices.length);
    const stateOf = (device: SimDevice): HostEffects => {
      let s = states[device.index];
      if (!s) {
        s = { silences: [], effects: [], boots: [] };
        states[device.index] = s;
      }
      return s;
    };
    // Effects and boots of past incidents still shape counters and uptime; silences only matter now.
    for (const p of plans) {
      for (const e of p.effects) stateOf(e.device).effects.push(e.effect);
      for (const b of p.boots) stateOf(b.device).boots.push(b.bootUs);
    }
    for (const p of active) for (const s of p.silences) stateOf(s.device).silences.push(s.fromUs, s.toUs);
    return states;
  }

  private metrics(
    devices: readonly SimDevice[],
    intervalUs: number,
    fromUs: number,
    toUs: number,
    states: (HostEffects | undefined)[],
    out: SeriesPoint[],
    host: boolean
  ): void {
    // Telegraf aligns collections to the interval; each agent adds its own constant offset.
    const firstTick = floor(fromUs / intervalUs) - 1;
    for (let tick = firstTick; tick * intervalUs < toUs; tick++) {
      const base = tick * intervalUs;
      for (const device of devices) {
        const t = base + this.telemetry.offsetUs(device);
        if (t < fromUs || t >= toUs) continue;
        const state = states[device.index];
        if (state && isSilent(state, t)) continue;
        if (host) this.telemetry.hostMetrics(device, t, state, out);
        else this.telemetry.sensorMetrics(device, t, state, out);
      }
    }
  }

  private syslog(
    active: IncidentPlan[],
    fromUs: number,
    toUs: number,
    states: (HostEffects | undefined)[],
    out: SeriesPoint[],
    events: GroundTruthEvent[]
  ): number {
    const scripted: PendingLine[][] = new Array(this.topology.devices.length);
    for (const plan of active) {
      const decision: Decision = plan.truth.isFalseAlarm ? 'false_alarm' : 'alert';
      for (const line of plan.lines) {
        if (line.timeUs < fromUs || line.timeUs >= toUs) continue;
        const lineDecision = line.template.eventClass === 'informational' ? 'noise' : decision;
        (scripted[line.device.index] ??= []).push({
          timeUs: line.timeUs,
          template: line.template,
          decision: lineDecision,
          incidentId: plan.truth.id,
          message: line.message,
        });
      }
    }
    let count = 0;
    for (const device of this.topology.devices) {
      const lines: PendingLine[] = this.background.linesOf(device, fromUs, toUs).map((l) => ({
        timeUs: l.timeUs,
        template: l.template,
        decision: l.decision,
        incidentId: null,
        renderSeed: l.renderSeed,
        vars: l.vars,
      }));
      const own = scripted[device.index];
      if (own) {
        lines.push(...own);
        lines.sort((a, b) => a.timeUs - b.timeUs);
      }
      const state = states[device.index];
      let last = this.lastSyslogUs[device.index];
      for (const line of lines) {
        if (state && isSilent(state, line.timeUs)) continue;
        const timeUs = line.timeUs > last ? line.timeUs : last + 1;
        last = timeUs;
        const message =
          line.message ??
          renderMessage(
            line.template,
            this.renderRng.reseed(line.renderSeed ?? 0),
            this.contexts[device.index],
            line.vars
          );
        out.push({
          measurement: INPUT.syslog.measurement,
          tags: this.syslogTagsOf(device, line.template),
          fields: { [INPUT.syslog.fields.message]: message },
          intFields: {
            [INPUT.syslog.fields.severityCode]: SEVERITY_CODES[line.template.severity],
            [INPUT.syslog.fields.facilityCode]: FACILITY_CODES[line.template.facility],
          },
          timeUs,
        });
        events.push({
          timeUs,
          hostname: device.host,
          templateId: line.template.id,
          eventClass: line.template.eventClass,
          decision: line.decision,
          incidentId: line.incidentId,
        });
        count++;
      }
      this.lastSyslogUs[device.index] = last;
    }
    return count;
  }

  /** Tag objects are shared between points of the same series: far fewer allocations. */
  private syslogTagsOf(device: SimDevice, template: MessageTemplate): Record<string, string> {
    const cache = this.syslogTags[device.index];
    let tags = cache.get(template.id);
    if (!tags) {
      const t = INPUT.syslog.tags;
      tags = {
        [t.hostname]: device.host,
        [t.appname]: appnameOf(template, device.kind),
        [t.severity]: template.severity,
        [t.facility]: template.facility,
      };
      cache.set(template.id, tags);
    }
    return tags;
  }
}

/** Whether the host emits nothing at `timeUs` (halted, powered off). */
export function isSilent(state: HostEffects, timeUs: number): boolean {
  const s = state.silences;
  for (let i = 0; i < s.length; i += 2) if (timeUs >= s[i] && timeUs < s[i + 1]) return true;
  return false;
}

export function createSimulation(options: SimulationOptions): Simulation {
  return new Simulation(options);
}

import { INCIDENT_KINDS } from '@nocai/contract';
import type { DeviceKind, GroundTruthIncident, IncidentKind, Site, SiteKind } from '@nocai/contract';
import { HOUR_US, isoUs, MINUTE_US, SECOND_US } from './calendar';
import { hashString, Rng, rngFor, STREAM } from './random';
import { hostContext } from './render';
import type { HostContext } from './render';
import { planIncident } from './scenarios';
import type { IncidentPlan } from './scenarios';
import type { TelemetryModel } from './telemetry';
import type { SimDevice, Topology } from './topology';

export type { IncidentPlan, ScriptedLine } from './scenarios';

/** Ask for a specific incident: "hospital power failure at 12:00". */
export interface ScenarioSpec {
  kind: IncidentKind;
  /** When the fault begins, microseconds since the epoch. */
  atUs: number;
  /** Site id; or `siteKind` to take the first site of that kind; or `host` to name the root device. */
  site?: string;
  siteKind?: SiteKind;
  host?: string;
  /** Outage length (power failure), ramp (overheating, disk filling) or activity length; random when absent. */
  durationMinutes?: number;
}

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** Devices an incident of each kind can start on. */
const ROOT_KINDS: Record<IncidentKind, readonly DeviceKind[]> = {
  power_failure: ['power_switch'],
  power_flicker: ['power_switch'],
  overheating: ['plc', 'sensor'],
  link_flapping: ['network_switch', 'router'],
  disk_full: ['server'],
  crash_loop: ['server'],
  brute_force: ['server', 'router'],
};

/** Relative frequency of automatically scheduled incidents. */
const KIND_WEIGHTS: Record<IncidentKind, number> = {
  power_failure: 0.1,
  power_flicker: 0.18,
  overheating: 0.14,
  link_flapping: 0.18,
  disk_full: 0.12,
  crash_loop: 0.14,
  brute_force: 0.14,
};

/**
 * Automatic incidents are drawn per site and 12-hour slot, at most one each; none lasts longer
 * than MAX_INCIDENT_US, so an incident can only reach into the next slot, and a slot's incident
 * is dropped when the previous slot's is still running. This keeps the schedule a pure function
 * of (seed, site, slot) while incidents on one site never overlap.
 */
export const SLOT_US = 12 * HOUR_US;
export const MAX_INCIDENT_US = 11 * HOUR_US;
const GAP_US = 30 * MINUTE_US;

export const DEFAULT_INCIDENTS_PER_SITE_DAY = 0.5;

/** Injected scenarios are told apart from automatic incidents by their id. */
const INJECTED_PREFIX = 'inj-';

export function isInjected(incident: GroundTruthIncident): boolean {
  return incident.id.startsWith(INJECTED_PREFIX);
}

export function rootCandidates(kind: IncidentKind, site: Site, topology: Topology): SimDevice[] {
  return topology
    .devicesOf(site.id)
    .filter((d) => ROOT_KINDS[kind].includes(d.kind))
    .filter((d) => !(kind === 'overheating' && d.kind === 'sensor' && site.kind === 'smart_city'));
}

function compactIso(us: number): string {
  return isoUs(us).replace(/[-:]/g, '').slice(0, 13);
}

function overlaps(plan: IncidentPlan, fromUs: number, toUs: number, marginUs = 0): boolean {
  return plan.truth.startUs - marginUs < toUs && plan.truth.endUs + marginUs >= fromUs;
}

/**
 * The incidents of a simulation: automatic ones (a pure function of seed, site and slot) plus
 * injected scenarios, which win over an automatic incident of the same site at the same time.
 */
export class IncidentSchedule {
  private readonly candidates = new Map<string, IncidentPlan | null>();
  private readonly injected: IncidentPlan[] = [];
  private readonly contexts = new Map<string, HostContext>();

  constructor(
    private readonly seed: number,
    private readonly topology: Topology,
    private readonly telemetry: TelemetryModel,
    private readonly incidentsPerSiteDay: number
  ) {}

  /** Incidents that have any effect in [fromUs, toUs), by start time. */
  plansBetween(fromUs: number, toUs: number): IncidentPlan[] {
    const out: IncidentPlan[] = [];
    if (this.incidentsPerSiteDay > 0) {
      const firstSlot = Math.floor(fromUs / SLOT_US) - 1;
      const lastSlot = Math.floor((toUs - 1) / SLOT_US);
      this.topology.sites.forEach((_site, siteIndex) => {
        for (let slot = firstSlot; slot <= lastSlot; slot++) {
          const plan = this.automatic(siteIndex, slot);
          if (plan && overlaps(plan, fromUs, toUs) && !this.isPreempted(plan)) out.push(plan);
        }
      });
    }
    for (const plan of this.injected) if (overlaps(plan, fromUs, toUs)) out.push(plan);
    return out.sort((x, y) => x.truth.startUs - y.truth.startUs);
  }

  inject(spec: ScenarioSpec): IncidentPlan {
    if (!Number.isFinite(spec.atUs)) throw new ScenarioError('a scenario needs a start time');
    const root = this.rootFor(spec);
    const rng = rngFor(
      this.seed,
      STREAM.injected,
      hashString(spec.kind),
      hashString(root.host),
      spec.atUs,
      this.injected.length
    );
    const plan = planIncident({
      id: `${INJECTED_PREFIX}${root.site.id}-${compactIso(spec.atUs)}-${this.injected.length + 1}`,
      kind: spec.kind,
      root,
      startUs: Math.round(spec.atUs),
      durationUs: spec.durationMinutes === undefined ? undefined : Math.round(spec.durationMinutes * MINUTE_US),
      rng,
      topology: this.topology,
      telemetry: this.telemetry,
      contextOf: (d) => this.contextOf(d),
    });
    this.injected.push(plan);
    return plan;
  }

  /** Forgets cached automatic incidents that ended before `beforeUs` (bounded memory in long runs). */
  prune(beforeUs: number): void {
    const oldest = Math.floor(beforeUs / SLOT_US) - 2;
    for (const key of this.candidates.keys()) {
      if (Number(key.split(':')[1]) < oldest) this.candidates.delete(key);
    }
  }

  private rootFor(spec: ScenarioSpec): SimDevice {
    if (!(INCIDENT_KINDS as readonly string[]).includes(spec.kind)) {
      throw new ScenarioError(`unknown scenario kind "${spec.kind}"; expected one of ${INCIDENT_KINDS.join(', ')}`);
    }
    if (spec.host) {
      const device = this.topology.device(spec.host);
      if (!device) throw new ScenarioError(`scenario host ${spec.host} is not in the inventory`);
      if (!ROOT_KINDS[spec.kind].includes(device.kind)) {
        throw new ScenarioError(
          `a ${spec.kind} cannot start on ${spec.host}, a ${device.kind}; use a ${ROOT_KINDS[spec.kind].join(' or ')}`
        );
      }
      return device;
    }
    const sites = this.topology.sites.filter(
      (s) =>
        (spec.site === undefined || s.id === spec.site) && (spec.siteKind === undefined || s.kind === spec.siteKind)
    );
    if (sites.length === 0) {
      throw new ScenarioError(`no site matches ${spec.site ?? spec.siteKind ?? 'the scenario'} in the inventory`);
    }
    const rng = rngFor(this.seed, STREAM.injected, hashString(spec.kind), spec.atUs);
    for (const site of sites) {
      const candidates = rootCandidates(spec.kind, site, this.topology);
      if (candidates.length > 0) return rng.pick(candidates);
    }
    throw new ScenarioError(`no device at ${sites.map((s) => s.id).join(', ')} can have a ${spec.kind}`);
  }

  private contextOf(device: SimDevice): HostContext {
    let ctx = this.contexts.get(device.host);
    if (!ctx) {
      ctx = hostContext(device);
      this.contexts.set(device.host, ctx);
    }
    return ctx;
  }

  private isPreempted(plan: IncidentPlan): boolean {
    return this.injected.some(
      (i) => i.truth.site === plan.truth.site && overlaps(i, plan.truth.startUs, plan.truth.endUs, GAP_US)
    );
  }

  private automatic(siteIndex: number, slot: number): IncidentPlan | null {
    const plan = this.candidate(siteIndex, slot);
    if (!plan) return null;
    const previous = this.candidate(siteIndex, slot - 1);
    return previous && previous.truth.endUs + GAP_US > plan.truth.startUs ? null : plan;
  }

  private candidate(siteIndex: number, slot: number): IncidentPlan | null {
    const key = `${siteIndex}:${slot}`;
    const cached = this.candidates.get(key);
    if (cached !== undefined) return cached;
    const plan = this.draw(siteIndex, slot);
    this.candidates.set(key, plan);
    return plan;
  }

  private draw(siteIndex: number, slot: number): IncidentPlan | null {
    const r = rngFor(this.seed, STREAM.incidents, siteIndex, slot);
    if (!r.chance((this.incidentsPerSiteDay * SLOT_US) / (24 * HOUR_US))) return null;
    const site = this.topology.sites[siteIndex];
    const options = INCIDENT_KINDS.map((k) => [k, rootCandidates(k, site, this.topology)] as const).filter(
      ([, roots]) => roots.length > 0
    );
    if (options.length === 0) return null;
    const kind = r.weighted(options.map(([k]) => [k, KIND_WEIGHTS[k]] as const));
    const roots = options.find(([k]) => k === kind)?.[1] ?? [];
    const root = r.pick(roots);
    const startUs = slot * SLOT_US + r.int(0, SLOT_US / SECOND_US - 1) * SECOND_US + r.int(0, SECOND_US - 1);
    const plan = planIncident({
      id: `inc-${site.id}-${compactIso(startUs)}`,
      kind,
      root,
      startUs,
      rng: new Rng(r.nextSeed()),
      topology: this.topology,
      telemetry: this.telemetry,
      contextOf: (d) => this.contextOf(d),
    });
    if (plan.truth.endUs - plan.truth.startUs > MAX_INCIDENT_US) {
      throw new Error(`incident ${plan.truth.id} lasts longer than a slot allows`);
    }
    return plan;
  }
}

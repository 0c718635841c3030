import { TICKET_HISTORY_COLUMNS } from '@nocai/contract';
import type {
  Department,
  DeviceKind,
  EventClass,
  GroundTruthIncident,
  IncidentKind,
  Priority,
  SiteKind,
  TicketHistoryRow,
} from '@nocai/contract';
import { DAY_US, dayOfWeek, HOUR_US, isHoliday, isoUs, MINUTE_US, SECOND_US, startOfDayUs } from './calendar';
import { departmentFor, priorityFor } from './triage';
import { Rng, rngFor, STREAM } from './random';
import { pickZone } from './render';
import type { SimDevice, Topology } from './topology';

export interface TicketHistoryOptions {
  seed: number;
  topology: Topology;
  fromUs: number;
  toUs: number;
  /** Injected incidents: each real one (not a false alarm) gets its ticket. */
  incidents: readonly GroundTruthIncident[];
  /** Ordinary tickets per site on an average weekday. */
  ticketsPerSiteDay?: number;
  /**
   * Reorganisations: from `fromUs`, tickets of `eventClass` on `deviceKinds` go to `department`
   * instead of the standing policy's choice (a team taking over the hardware of its own gear).
   * What the lifecycle's retraining must learn from operators' corrections.
   */
  routingChanges?: readonly RoutingChange[];
}

export interface RoutingChange {
  fromUs: number;
  eventClass: EventClass;
  deviceKinds: readonly DeviceKind[];
  department: Department;
}

/** The department a ticket opened at `openedUs` goes to, reorganisations included. */
export function routedDepartment(
  o: Pick<TicketHistoryOptions, 'routingChanges'>,
  openedUs: number,
  eventClass: EventClass,
  deviceKind: DeviceKind,
  siteKind: SiteKind
): Department {
  let department = departmentFor(eventClass, deviceKind, siteKind);
  for (const change of o.routingChanges ?? []) {
    if (openedUs >= change.fromUs && change.eventClass === eventClass && change.deviceKinds.includes(deviceKind)) {
      department = change.department;
    }
  }
  return department;
}

export const DEFAULT_TICKETS_PER_SITE_DAY = 1.5;

type TicketClass = Exclude<EventClass, 'informational'>;

/** Sunday first: fewer tickets when fewer people are around to notice and report. */
const DAY_FACTOR = [0.35, 1.1, 1.05, 1, 1, 0.95, 0.45];
const HOLIDAY_FACTOR = 0.35;
/** January is the peak (storms, heating, flu season staffing); July has a smaller summer bump. */
const MONTH_FACTOR = [1.4, 1.25, 1.05, 0.95, 0.9, 0.95, 1.15, 1.1, 0.9, 0.95, 1.05, 1.25];

const CLASS_WEIGHTS: Record<SiteKind, Record<TicketClass, number>> = {
  hospital: { power: 0.1, network: 0.2, hardware: 0.3, software: 0.2, security: 0.08, environment: 0.12 },
  factory: { power: 0.12, network: 0.15, hardware: 0.38, software: 0.12, security: 0.05, environment: 0.18 },
  hotel: { power: 0.1, network: 0.3, hardware: 0.15, software: 0.2, security: 0.1, environment: 0.15 },
  smart_city: { power: 0.15, network: 0.3, hardware: 0.3, software: 0.1, security: 0.05, environment: 0.1 },
};

/** Device kinds a ticket of a class is usually about. */
const CLASS_DEVICES: Record<TicketClass, readonly DeviceKind[]> = {
  power: ['power_switch', 'ups'],
  network: ['router', 'network_switch', 'network_switch'],
  hardware: ['server', 'patient_monitor', 'plc', 'sensor', 'network_switch'],
  software: ['server', 'server', 'server', 'patient_monitor', 'plc'],
  security: ['server', 'router', 'network_switch'],
  environment: ['sensor'],
};

const MEDIAN_MINUTES: Record<TicketClass, number> = {
  power: 120,
  network: 75,
  hardware: 300,
  software: 60,
  security: 150,
  environment: 180,
};
const DEPARTMENT_FACTOR: Record<Department, number> = {
  field_technicians: 1.4,
  maintenance: 1.3,
  facilities: 1.15,
  network_ops: 0.9,
  it_ops: 0.8,
  security: 1,
};
const PRIORITY_FACTOR: Record<Priority, number> = { P1: 0.3, P2: 0.6, P3: 1, P4: 1.7 };
const SITE_FACTOR: Record<SiteKind, number> = { hospital: 0.8, factory: 0.9, hotel: 1.1, smart_city: 1.25 };

const TITLES: Record<TicketClass, readonly string[]> = {
  power: [
    'Power outage at {site}',
    'UPS alarm on {host}',
    'PDU breaker tripped on {host}',
    'Voltage fluctuations at {site}',
  ],
  network: [
    'Link down on {host}',
    'Intermittent connectivity at {site}',
    'High packet loss through {host}',
    'Wi-Fi outage in {zone}',
  ],
  hardware: [
    'Fan failure on {host}',
    'Predicted disk failure on {host}',
    '{host} unresponsive',
    'Faulty probe on {host}',
  ],
  software: [
    'Service crash on {host}',
    'Application errors on {host}',
    'Disk space low on {host}',
    'Certificate expiring on {host}',
  ],
  security: ['Suspicious logins on {host}', 'Port security violation on {host}', 'Brute-force attempts against {host}'],
  environment: [
    'High temperature in {zone}',
    'Humidity out of range in {zone}',
    'Water leak alarm in {zone}',
    'HVAC failure in {zone}',
  ],
};

const RESOLUTIONS: Record<TicketClass, readonly string[]> = {
  power: [
    'Reset tripped breaker and verified load balance.',
    'Replaced UPS battery string; self-test passed.',
    'Utility restored power; verified all devices back online.',
    'Moved load to feed B and scheduled electrician visit.',
  ],
  network: [
    'Replaced faulty patch cable and cleared counters.',
    'Replaced SFP module; link stable for 24 h.',
    'ISP resolved upstream fault; BGP session re-established.',
    'Rebooted access switch; clients reconnected.',
  ],
  hardware: [
    'Replaced failed fan tray.',
    'Replaced disk and rebuilt RAID array.',
    'Power-cycled device; firmware updated.',
    'Replaced probe and recalibrated.',
  ],
  software: [
    'Restarted service and applied vendor hotfix.',
    'Purged old logs and added log rotation policy.',
    'Renewed certificate and reloaded web server.',
    'Rolled back faulty release.',
  ],
  security: [
    'Blocked source IP at firewall; no successful login found.',
    'Reset credentials and enabled MFA for the account.',
    'Disabled port and identified rogue device.',
    'Confirmed authorised penetration test; closed.',
  ],
  environment: [
    'HVAC technician replaced compressor contactor; temperature normal.',
    'Cleared blocked condensate drain; humidity back in range.',
    'Fixed leaking pipe and dried floor; probe reset.',
    'Closed cabinet door and added door-open alert.',
  ],
};

const REPORTERS = [
  'monitoring alert',
  'phone call from site staff',
  'email from site manager',
  'NOC operator',
  'service desk',
];

/**
 * How the reporter describes the impact. It is what a dispatcher reads to set the priority
 * (together with the site's criticality), so it decides the urgency of an ordinary ticket.
 */
const IMPACT_BY_URGENCY: Record<1 | 2 | 3 | 4, readonly string[]> = {
  1: [
    'Everything on site is down, no workaround',
    'Critical service down for all users',
    'Whole site affected, safety risk',
    'Outage affecting every ward/line',
  ],
  2: [
    'Several areas affected, service badly degraded',
    'Many users cannot work',
    'Major degradation, workaround is painful',
    'A whole department is affected',
  ],
  3: [
    'One area affected, workaround available',
    'Single device affected, users can work around it',
    'Intermittent problem, limited impact',
    'Some users report issues',
  ],
  4: [
    'Minor issue, no operational impact',
    'Cosmetic problem, fix when convenient',
    'Low impact, please schedule a visit',
    'For information, no one is blocked',
  ],
};

/** Extra wording people use for specific devices (typed complaints rather than alert titles). */
const DEVICE_TITLES: Partial<Record<TicketClass, Partial<Record<DeviceKind, readonly string[]>>>> = {
  network: {
    network_switch: [
      'Patient monitors in {zone} stopped showing data at the central station',
      'Devices in {zone} lost network connectivity',
    ],
    router: ['No internet or remote access at {site}', 'Site {site} unreachable from the NOC'],
  },
  hardware: {
    patient_monitor: ['Patient monitor {host} screen stays black', 'Patient monitor {host} keeps rebooting'],
    server: ['{host} makes clicking noises and is slow', 'Server {host} shows a hardware fault light'],
    plc: ['PLC {host} in fault state, line stopped', 'Machine controller {host} not responding'],
  },
  software: {
    server: ['Application on {host} is throwing errors', 'Users cannot log in to the application on {host}'],
  },
  power: { ups: ['UPS {host} beeping, running on battery'], power_switch: ['Lights flickering and power cuts at {site}'] },
};

const INCIDENT_TITLES: Record<IncidentKind, string> = {
  power_failure: 'Site power failure at {site}',
  power_flicker: 'Power flicker at {site}',
  overheating: 'Overheating on {host}',
  link_flapping: 'Flapping link on {host}',
  disk_full: 'Disk full on {host}',
  crash_loop: 'Service crash loop on {host}',
  brute_force: 'Brute-force login attempts on {host}',
};

const INCIDENT_RESOLUTIONS: Record<IncidentKind, readonly string[]> = {
  power_failure: [
    'Utility restored power; UPS battery replaced; all devices verified online.',
    'Generator transfer switch repaired; site back on mains.',
  ],
  power_flicker: ['Power came back by itself; no action needed.'],
  overheating: [
    'Replaced failed cooling fan and cleaned filters.',
    'HVAC compressor repaired; temperature back to normal.',
  ],
  link_flapping: ['Replaced faulty SFP and patch cable; link stable.', 'Re-seated uplink module; errors cleared.'],
  disk_full: [
    'Purged old logs and extended volume; log rotation fixed.',
    'Archived old WAL segments and added disk alert.',
  ],
  crash_loop: ['Rolled back faulty release; service stable.', 'Applied vendor hotfix for segfault; service stable.'],
  brute_force: [
    'Blocked source IP at firewall and reviewed accounts.',
    'Disabled compromised account, reset credentials, enabled MFA.',
  ],
};

function fill(text: string, device: SimDevice, zone: string): string {
  return text.replace('{site}', device.site.name).replace('{host}', device.host).replace('{zone}', zone);
}

function isBusinessHours(timeUs: number): boolean {
  const dow = dayOfWeek(timeUs);
  const hour = (timeUs % DAY_US) / HOUR_US;
  return dow >= 1 && dow <= 5 && !isHoliday(timeUs) && hour >= 8 && hour < 18;
}

/** Next weekday 08:00 that is not a holiday. */
function nextBusinessStart(timeUs: number): number {
  let day = startOfDayUs(timeUs);
  if ((timeUs - day) / HOUR_US >= 8) day += DAY_US;
  for (let i = 0; i < 10; i++) {
    const dow = dayOfWeek(day);
    if (dow >= 1 && dow <= 5 && !isHoliday(day)) return day + 8 * HOUR_US;
    day += DAY_US;
  }
  return day + 8 * HOUR_US;
}

/**
 * Time to resolve: a lognormal around a median set by class, department, priority and site
 * kind, with a Pareto tail (the ticket everyone forgot). Low-priority tickets opened out of
 * hours wait for the next business morning; urgent ones go to the on-call engineer, slower.
 */
export function resolutionDelayUs(
  r: Rng,
  eventClass: TicketClass,
  department: Department,
  priority: Priority,
  siteKind: SiteKind,
  openedUs: number
): number {
  const median =
    MEDIAN_MINUTES[eventClass] * DEPARTMENT_FACTOR[department] * PRIORITY_FACTOR[priority] * SITE_FACTOR[siteKind];
  let workMinutes = r.logNormal(median, 0.75);
  if (r.chance(0.06)) workMinutes *= Math.min(50, Math.pow(1 - r.next(), -1 / 1.3));
  let waitUs = 0;
  if (!isBusinessHours(openedUs)) {
    if (priority === 'P1') workMinutes *= 1.2;
    else if (priority === 'P2') workMinutes *= 1.5;
    else waitUs = nextBusinessStart(openedUs) - openedUs;
  }
  return waitUs + Math.max(5, workMinutes) * MINUTE_US;
}

function openedTimeUs(r: Rng, dayUs: number): number {
  const quiet = dayOfWeek(dayUs) === 0 || dayOfWeek(dayUs) === 6 || isHoliday(dayUs);
  const hour = r.weighted(
    Array.from(
      { length: 24 },
      (_, h) => [h, h >= 8 && h < 18 ? (quiet ? 0.6 : 1) : h >= 6 && h < 22 ? 0.45 : 0.2] as const
    )
  );
  return dayUs + hour * HOUR_US + r.int(0, 3599) * SECOND_US;
}

function pickDevice(r: Rng, topology: Topology, siteId: string, eventClass: TicketClass): SimDevice {
  const kinds = CLASS_DEVICES[eventClass];
  const matching = topology.devicesOf(siteId).filter((d) => kinds.includes(d.kind));
  return r.pick(matching.length > 0 ? matching : topology.devicesOf(siteId));
}

interface Draft extends Omit<TicketHistoryRow, 'id' | 'opened_at' | 'resolved_at'> {
  openedUs: number;
  resolvedUs: number;
}

function backgroundTickets(o: TicketHistoryOptions, out: Draft[]): void {
  const rate = o.ticketsPerSiteDay ?? DEFAULT_TICKETS_PER_SITE_DAY;
  for (let day = startOfDayUs(o.fromUs); day < o.toUs; day += DAY_US) {
    const month = new Date(day / 1000).getUTCMonth();
    const seasonal = MONTH_FACTOR[month];
    const calendar = DAY_FACTOR[dayOfWeek(day)] * (isHoliday(day) ? HOLIDAY_FACTOR : 1);
    o.topology.sites.forEach((site, siteIndex) => {
      const r = rngFor(o.seed, STREAM.tickets, siteIndex, day / DAY_US);
      const count = r.poisson(rate * seasonal * calendar);
      const winter = month === 11 || month <= 1;
      const summer = month >= 5 && month <= 7;
      const weights = CLASS_WEIGHTS[site.kind];
      const classes = (Object.keys(weights) as TicketClass[]).map(
        (c) =>
          [c, weights[c] * (c === 'power' && winter ? 1.4 : 1) * (c === 'environment' && summer ? 1.6 : 1)] as const
      );
      for (let i = 0; i < count; i++) {
        const eventClass = r.weighted(classes);
        const device = pickDevice(r, o.topology, site.id, eventClass);
        const urgency = r.weighted([
          [1, 0.06],
          [2, 0.22],
          [3, 0.47],
          [4, 0.25],
        ] as const);
        const priority = priorityFor(urgency, site.criticality);
        const openedUs = openedTimeUs(r, day);
        const department = routedDepartment(o, openedUs, eventClass, device.kind, site.kind);
        if (openedUs < o.fromUs || openedUs >= o.toUs) continue;
        const zone = pickZone(r, site.kind);
        const deviceTitles = DEVICE_TITLES[eventClass]?.[device.kind]?.filter(
          (t) => site.kind === 'hospital' || !t.startsWith('Patient')
        );
        const wording = deviceTitles?.length && r.next() < 0.5 ? r.pick(deviceTitles) : r.pick(TITLES[eventClass]);
        const title = fill(wording, device, zone);
        const impact = r.pick(IMPACT_BY_URGENCY[urgency]);
        out.push({
          openedUs,
          resolvedUs: openedUs + resolutionDelayUs(r, eventClass, department, priority, site.kind, openedUs),
          site: site.id,
          site_kind: site.kind,
          host: device.host,
          device_kind: device.kind,
          class: eventClass,
          department,
          priority,
          title,
          description: `${title}. ${impact}. Reported by ${r.pick(REPORTERS)}.`,
          resolution: r.pick(RESOLUTIONS[eventClass]),
          incident_id: '',
        });
      }
    });
  }
}

function incidentTickets(o: TicketHistoryOptions, out: Draft[]): void {
  for (const incident of o.incidents) {
    if (incident.isFalseAlarm || incident.startUs < o.fromUs || incident.startUs >= o.toUs) continue;
    const device = o.topology.device(incident.rootHost);
    if (!device) continue;
    const r = rngFor(o.seed, STREAM.tickets, incident.startUs);
    const eventClass = incident.expected.eventClass;
    if (eventClass === 'informational') continue;
    // Detected a few minutes in; closed once the fault is over and the follow-up is done.
    const openedUs = incident.startUs + Math.round(Math.max(30, r.logNormal(240, 0.6)) * SECOND_US);
    const resolvedUs = Math.max(incident.endUs, openedUs) + Math.round(Math.max(5, r.logNormal(20, 0.7)) * MINUTE_US);
    const title = fill(INCIDENT_TITLES[incident.kind], device, '');
    out.push({
      openedUs,
      resolvedUs,
      site: incident.site,
      site_kind: incident.siteKind,
      host: incident.rootHost,
      device_kind: device.kind,
      class: eventClass,
      department: o.routingChanges?.length
        ? routedDepartment(o, openedUs, eventClass, device.kind, incident.siteKind)
        : incident.expected.department,
      priority: incident.expected.priority,
      title,
      description: `${incident.summary}. Affected hosts: ${incident.affectedHosts.length}.`,
      resolution: r.pick(INCIDENT_RESOLUTIONS[incident.kind]),
      incident_id: incident.id,
    });
  }
}

/**
 * Resolved tickets of the period: one per real injected incident plus ordinary background
 * tickets with weekday/holiday/seasonal rhythms. Tickets still open at `toUs` are left out.
 */
export function generateTicketHistory(options: TicketHistoryOptions): TicketHistoryRow[] {
  const drafts: Draft[] = [];
  backgroundTickets(options, drafts);
  incidentTickets(options, drafts);
  return drafts
    .filter((d) => d.resolvedUs <= options.toUs)
    .sort((a, b) => a.openedUs - b.openedUs || a.host.localeCompare(b.host))
    .map(({ openedUs, resolvedUs, ...rest }, i) => ({
      id: `TKT-${String(i + 1).padStart(6, '0')}`,
      opened_at: isoUs(openedUs),
      resolved_at: isoUs(resolvedUs),
      ...rest,
    }));
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** RFC 4180 CSV with a header row (columns: TICKET_HISTORY_COLUMNS). */
export function ticketsToCsv(rows: readonly TicketHistoryRow[]): string {
  const lines = [TICKET_HISTORY_COLUMNS.join(',')];
  for (const row of rows) lines.push(TICKET_HISTORY_COLUMNS.map((c) => csvField(row[c])).join(','));
  return lines.join('\n') + '\n';
}

export function ticketsToJsonl(rows: readonly TicketHistoryRow[]): string {
  return rows.map((row) => JSON.stringify(row)).join('\n') + (rows.length > 0 ? '\n' : '');
}

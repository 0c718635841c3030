import type { Decision, DeviceKind } from '@nocai/contract';
import { activity, HOUR_US, SECOND_US } from './calendar';
import { hashKey, rngFor, STREAM } from './random';
import type { TemplateVars } from './render';
import type { TelemetryModel } from './telemetry';
import { templateById } from './templates';
import type { MessageTemplate } from './templates';
import type { SimDevice, Topology } from './topology';

/** Routine chatter: Poisson lines per hour; `busy` ones scale with how busy the site is. */
interface NoiseRate {
  templateId: string;
  perHour: number;
  busy?: boolean;
}

/** Lines at a fixed cadence (heartbeats, status reports): a device's normal reporting rhythm. */
interface Periodic {
  templateId: string;
  periodSeconds: number;
}

/**
 * Isolated lines of the other classes that are not part of an injected incident: a scanner
 * probing SSH, a corrected ECC error, a door left open. `alert` marks the ones worth a ticket.
 */
interface RareLine {
  templateId: string;
  perDay: number;
  decision: Decision;
}

const NOISE: Record<DeviceKind, readonly NoiseRate[]> = {
  server: [
    { templateId: 'info.cron', perHour: 6 },
    { templateId: 'info.session_opened', perHour: 0.8, busy: true },
    { templateId: 'info.session_closed', perHour: 0.8, busy: true },
    { templateId: 'info.accepted_key', perHour: 0.8, busy: true },
    { templateId: 'info.systemd_started', perHour: 1 },
    { templateId: 'info.logrotate', perHour: 0.1 },
    { templateId: 'info.chrony', perHour: 0.5 },
    { templateId: 'info.audit', perHour: 1 },
    { templateId: 'info.apt', perHour: 0.05 },
  ],
  router: [
    { templateId: 'info.dhcp_ack', perHour: 6, busy: true },
    { templateId: 'info.dhcp_request', perHour: 6, busy: true },
    { templateId: 'info.ntp_net', perHour: 0.5 },
    { templateId: 'info.snmp_poll', perHour: 2 },
    { templateId: 'info.config_saved', perHour: 0.02, busy: true },
  ],
  network_switch: [
    { templateId: 'info.snmp_poll', perHour: 2 },
    { templateId: 'info.ntp_net', perHour: 0.5 },
    { templateId: 'info.config_saved', perHour: 0.02, busy: true },
  ],
  patient_monitor: [
    { templateId: 'info.patient_admit', perHour: 0.1, busy: true },
    { templateId: 'info.alarm_ack', perHour: 1.5, busy: true },
  ],
  plc: [{ templateId: 'info.plc_recipe', perHour: 0.1, busy: true }],
  sensor: [],
  ups: [],
  power_switch: [{ templateId: 'info.pdu_outlet_on', perHour: 0.05, busy: true }],
};

const PERIODIC: Partial<Record<DeviceKind, Periodic>> = {
  patient_monitor: { templateId: 'info.monitor_heartbeat', periodSeconds: 600 },
  plc: { templateId: 'info.plc_cycle', periodSeconds: 900 },
  sensor: { templateId: 'info.sensor_report', periodSeconds: 900 },
  ups: { templateId: 'info.ups_status', periodSeconds: 3600 },
  power_switch: { templateId: 'info.pdu_status', periodSeconds: 1800 },
};

const RARE: Record<DeviceKind, readonly RareLine[]> = {
  server: [
    { templateId: 'sec.invalid_user', perDay: 4, decision: 'noise' },
    { templateId: 'sec.failed_invalid_user', perDay: 4, decision: 'noise' },
    { templateId: 'sw.app_exception', perDay: 0.5, decision: 'noise' },
    { templateId: 'hw.edac_ce', perDay: 0.05, decision: 'noise' },
    { templateId: 'env.inlet_temp', perDay: 0.05, decision: 'noise' },
    { templateId: 'sw.cert_expiry', perDay: 0.1, decision: 'alert' },
    { templateId: 'sw.db_slots', perDay: 0.05, decision: 'alert' },
    { templateId: 'sw.hl7_backlog', perDay: 0.05, decision: 'noise' },
    { templateId: 'hw.cpu_throttle', perDay: 0.05, decision: 'noise' },
    { templateId: 'sw.oom_kill', perDay: 0.03, decision: 'alert' },
    { templateId: 'hw.smart_pending', perDay: 0.01, decision: 'alert' },
    { templateId: 'hw.mce', perDay: 0.005, decision: 'alert' },
    { templateId: 'sec.sudo_fail', perDay: 0.02, decision: 'alert' },
  ],
  router: [
    { templateId: 'sec.net_login_failed', perDay: 3, decision: 'noise' },
    { templateId: 'sec.scan_detected', perDay: 1, decision: 'noise' },
    { templateId: 'net.ipsla_loss', perDay: 0.3, decision: 'noise' },
    { templateId: 'net.crc_errors', perDay: 0.1, decision: 'noise' },
    { templateId: 'hw.sfp_rx_low', perDay: 0.05, decision: 'alert' },
    { templateId: 'sw.net_service_crash', perDay: 0.01, decision: 'alert' },
  ],
  network_switch: [
    { templateId: 'net.stp_topology', perDay: 0.5, decision: 'noise' },
    { templateId: 'net.mac_flap', perDay: 0.2, decision: 'noise' },
    { templateId: 'net.crc_errors', perDay: 0.2, decision: 'noise' },
    { templateId: 'sec.port_security', perDay: 0.03, decision: 'alert' },
    { templateId: 'hw.sfp_rx_low', perDay: 0.05, decision: 'alert' },
    { templateId: 'hw.fan_fail', perDay: 0.01, decision: 'alert' },
  ],
  patient_monitor: [
    { templateId: 'hw.monitor_battery', perDay: 0.05, decision: 'alert' },
    { templateId: 'net.central_lost', perDay: 0.05, decision: 'noise' },
    { templateId: 'sec.monitor_pin', perDay: 0.02, decision: 'noise' },
    { templateId: 'hw.monitor_module', perDay: 0.02, decision: 'alert' },
    { templateId: 'sw.watchdog_reset', perDay: 0.02, decision: 'noise' },
    { templateId: 'pwr.monitor_on_battery', perDay: 0.03, decision: 'noise' },
    { templateId: 'net.dhcp_nooffer', perDay: 0.01, decision: 'noise' },
  ],
  plc: [
    { templateId: 'hw.vibration', perDay: 0.1, decision: 'alert' },
    { templateId: 'net.modbus_timeout', perDay: 0.2, decision: 'noise' },
    { templateId: 'hw.plc_module_fault', perDay: 0.01, decision: 'alert' },
    { templateId: 'sec.plc_unauth_write', perDay: 0.01, decision: 'alert' },
    { templateId: 'sw.plc_program_fault', perDay: 0.01, decision: 'alert' },
    { templateId: 'sw.watchdog_reset', perDay: 0.02, decision: 'noise' },
  ],
  sensor: [
    { templateId: 'env.humidity', perDay: 0.1, decision: 'noise' },
    { templateId: 'env.door_open', perDay: 0.2, decision: 'noise' },
    { templateId: 'net.mqtt_lost', perDay: 0.2, decision: 'noise' },
    { templateId: 'hw.sensor_probe', perDay: 0.02, decision: 'alert' },
    { templateId: 'env.water_leak', perDay: 0.005, decision: 'alert' },
    { templateId: 'env.air_quality', perDay: 0.1, decision: 'noise' },
    { templateId: 'net.dhcp_nooffer', perDay: 0.02, decision: 'noise' },
  ],
  ups: [
    { templateId: 'info.ups_selftest', perDay: 1, decision: 'noise' },
    { templateId: 'pwr.ups_replace_battery', perDay: 0.01, decision: 'alert' },
    { templateId: 'env.ups_ambient', perDay: 0.03, decision: 'noise' },
    { templateId: 'hw.ups_fan', perDay: 0.005, decision: 'alert' },
    { templateId: 'net.nmc_link_down', perDay: 0.02, decision: 'noise' },
    { templateId: 'sec.nmc_login_failed', perDay: 0.05, decision: 'noise' },
  ],
  power_switch: [
    { templateId: 'pwr.outlet_overload', perDay: 0.1, decision: 'noise' },
    { templateId: 'pwr.input_sag', perDay: 0.05, decision: 'noise' },
    { templateId: 'hw.pdu_relay', perDay: 0.005, decision: 'alert' },
    { templateId: 'env.pdu_inlet', perDay: 0.02, decision: 'noise' },
    { templateId: 'net.nmc_link_down', perDay: 0.02, decision: 'noise' },
    { templateId: 'sec.nmc_login_failed', perDay: 0.05, decision: 'noise' },
  ],
};

const BOOT_TEMPLATE: Record<DeviceKind, string> = {
  server: 'info.linux_boot',
  router: 'info.net_restart',
  network_switch: 'info.net_restart',
  patient_monitor: 'info.boot_completed',
  plc: 'info.boot_completed',
  sensor: 'info.boot_completed',
  ups: 'info.boot_completed',
  power_switch: 'info.boot_completed',
};

export function bootTemplateOf(kind: DeviceKind): MessageTemplate {
  return templateById(BOOT_TEMPLATE[kind]);
}

/** Every template a device kind may log outside incidents (for coverage tests). */
export function backgroundTemplateIds(kind: DeviceKind): string[] {
  const periodic = PERIODIC[kind];
  return [
    ...NOISE[kind].map((n) => n.templateId),
    ...RARE[kind].map((n) => n.templateId),
    ...(periodic ? [periodic.templateId] : []),
    BOOT_TEMPLATE[kind],
  ];
}

/** One background line before rendering; its text is drawn from `renderSeed` only when emitted. */
export interface BackgroundLine {
  timeUs: number;
  template: MessageTemplate;
  decision: Decision;
  renderSeed: number;
  vars?: TemplateVars;
}

const HOURS_KEPT = 3;

/**
 * Background syslog of every device, generated per (device, hour) from its own random stream,
 * so the same hour has the same lines however the period is sliced. Recent hours are cached
 * because live mode asks for the same hour once per second.
 */
export class BackgroundLog {
  private readonly cache = new Map<number, BackgroundLine[][]>();

  constructor(
    private readonly seed: number,
    private readonly topology: Topology,
    private readonly telemetry: TelemetryModel
  ) {}

  /** Lines of `device` in [fromUs, toUs), sorted by time. */
  linesOf(device: SimDevice, fromUs: number, toUs: number): BackgroundLine[] {
    const out: BackgroundLine[] = [];
    for (let hour = Math.floor(fromUs / HOUR_US); hour * HOUR_US < toUs; hour++) {
      for (const line of this.hour(hour)[device.index]) {
        if (line.timeUs >= fromUs && line.timeUs < toUs) out.push(line);
      }
    }
    return out;
  }

  private hour(hour: number): BackgroundLine[][] {
    let lines = this.cache.get(hour);
    if (!lines) {
      lines = this.topology.devices.map((d) => this.generate(d, hour));
      this.cache.set(hour, lines);
      for (const key of this.cache.keys())
        if (key < hour - HOURS_KEPT || key > hour + HOURS_KEPT) this.cache.delete(key);
    }
    return lines;
  }

  private generate(device: SimDevice, hour: number): BackgroundLine[] {
    const r = rngFor(this.seed, STREAM.background, device.index, hour);
    const startUs = hour * HOUR_US;
    const busy = activity(device.site.kind, startUs + HOUR_US / 2);
    const lines: BackgroundLine[] = [];
    const add = (template: MessageTemplate, timeUs: number, decision: Decision, vars?: TemplateVars) =>
      lines.push({ timeUs, template, decision, renderSeed: r.nextSeed(), vars });

    for (const noise of NOISE[device.kind]) {
      const template = templateById(noise.templateId);
      const count = r.poisson(noise.perHour * (noise.busy ? busy * 1.3 : 1));
      for (let i = 0; i < count; i++) add(template, startUs + r.int(0, HOUR_US - 1), 'noise');
    }
    for (const rare of RARE[device.kind]) {
      const count = r.poisson(rare.perDay / 24);
      for (let i = 0; i < count; i++)
        add(templateById(rare.templateId), startUs + r.int(0, HOUR_US - 1), rare.decision);
    }
    const periodic = PERIODIC[device.kind];
    if (periodic) {
      const template = templateById(periodic.templateId);
      const periodUs = periodic.periodSeconds * SECOND_US;
      const phaseUs = hashKey([this.seed, device.index]) % periodUs;
      const first = Math.ceil((startUs - phaseUs) / periodUs);
      for (let k = first; k * periodUs + phaseUs < startUs + HOUR_US; k++) {
        const timeUs = k * periodUs + phaseUs + r.int(0, 2 * SECOND_US);
        add(template, Math.min(timeUs, startUs + HOUR_US - 1), 'noise', { seq: k % 1_000_000 });
      }
    }
    const boot = this.telemetry.periodicBootUs(device, startUs + HOUR_US - 1);
    if (boot >= startUs && boot < startUs + HOUR_US) {
      // A planned reboot (patching) announces itself like any boot; it is routine, not an incident.
      add(bootTemplateOf(device.kind), Math.min(boot + r.int(5, 60) * SECOND_US, startUs + HOUR_US - 1), 'noise');
    }
    lines.sort((a, b) => a.timeUs - b.timeUs);
    return lines;
  }
}

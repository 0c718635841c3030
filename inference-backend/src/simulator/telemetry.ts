import { INPUT } from '@nocai/contract';
import type { DeviceKind } from '@nocai/contract';
import type { SeriesPoint } from '../domain/series';
import { activity, DAY_US, HOUR_US, SECOND_US } from './calendar';
import { hashKey, Rng, rngFor, STREAM } from './random';
import { hostContext } from './render';
import type { SimDevice, Topology } from './topology';

// Bound once: jest's sandboxed global makes every `Math.x` lookup in a hot loop several times slower.
const { PI, cos, floor, max, pow, round, sin } = Math;

/** Devices that run a Telegraf agent with the host input plugins. */
export const HOST_METRIC_KINDS: readonly DeviceKind[] = ['server', 'router', 'network_switch'];
/** Devices that report physical readings into the `sensors` measurement. */
export const SENSOR_KINDS: readonly DeviceKind[] = ['sensor', 'plc', 'ups', 'power_switch'];

const GIB = 1024 ** 3;
const CPU = INPUT.cpu.fields;
const MEM = INPUT.mem.fields;
const DISK = INPUT.disk.fields;
const NET = INPUT.net.fields;
const SYSTEM = INPUT.system.fields;
const SENSOR = INPUT.sensors.fields;

/** How an incident bends a device's metrics. Windows are [fromUs, toUs). */
export type MetricEffect =
  /** used_percent climbs from its normal level to 100 at fullUs and stays there until toUs (cleanup). */
  | { kind: 'disk_fill'; path: string; fromUs: number; fullUs: number; toUs: number }
  /** temperature rises by deltaC until peakUs, then falls back to normal at toUs. */
  | { kind: 'temp_ramp'; fromUs: number; peakUs: number; toUs: number; deltaC: number }
  | { kind: 'cpu_load'; fromUs: number; toUs: number; extraPercent: number }
  /** err_in/err_out counters on `iface` grow by `errors` over the window. */
  | { kind: 'net_errors'; iface: string; fromUs: number; toUs: number; errors: number }
  /** power_w multiplied by `factor` (a flicker, a UPS on battery). */
  | { kind: 'power_dip'; fromUs: number; toUs: number; factor: number };

/** What the incidents active in a slice do to one host. */
export interface HostEffects {
  /** Flat [from, to) pairs during which the host emits nothing. */
  silences: number[];
  effects: MetricEffect[];
  /** Times the host came back from a power loss (uptime and counters restart). */
  boots: number[];
}

interface DiskProfile {
  path: string;
  totalBytes: number;
  baseUsed: number;
  /** Logs grow then get rotated/purged: a sawtooth of this period and amplitude. */
  cyclePeriodUs: number;
  cycleAmplitude: number;
  phase: number;
}

interface NetProfile {
  iface: string;
  bytesPerSecond: number;
  sendRatio: number;
  errorsPerDay: number;
}

interface DeviceProfile {
  device: SimDevice;
  hostTags: Record<string, string>;
  cpuTags: Record<string, string>;
  diskTags: Record<string, string>[];
  netTags: Record<string, string>[];
  sensorTags: Record<string, string>;
  /** Constant per device: agents do not all fire on the same microsecond. */
  offsetUs: number;
  ncpu: number;
  cpuBase: number;
  memTotalBytes: number;
  memBase: number;
  disks: DiskProfile[];
  nets: NetProfile[];
  rebootPeriodUs: number;
  rebootPhaseUs: number;
  tempBase: number;
  tempDailyAmplitude: number;
  tempActivityGain: number;
  outdoor: boolean;
  vibrationBase: number;
  pressureBase: number;
  pressureActivityGain: number;
  powerBase: number;
}

function round2(value: number): number {
  return round(value * 100) / 100;
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

function buildProfile(seed: number, device: SimDevice): DeviceProfile {
  const r = rngFor(seed, STREAM.profile, device.index);
  const kind = device.kind;
  const siteKind = device.site.kind;
  const host = device.host;
  const site = device.site.id;
  const server = kind === 'server';
  const router = kind === 'router';
  const disks: DiskProfile[] = (server ? ['/', '/var'] : ['/']).map((path) => ({
    path,
    totalBytes: (server ? (path === '/' ? 100 : r.pick([250, 500, 1000])) : 16) * GIB,
    baseUsed: r.range(22, 55),
    cyclePeriodUs: r.int(5, 21) * DAY_US,
    cycleAmplitude: r.range(3, 12),
    phase: r.next(),
  }));
  const nets: NetProfile[] = hostContext(device).interfaces.map((iface, i) => ({
    iface,
    bytesPerSecond:
      (router ? r.range(2e6, 4e7) : kind === 'network_switch' ? r.range(5e6, 8e7) : r.range(2e5, 1e7)) / (i + 1),
    sendRatio: r.range(0.3, 1.2),
    errorsPerDay: r.chance(0.3) ? r.range(0.5, 6) : 0,
  }));
  const outdoor = kind === 'sensor' && siteKind === 'smart_city';
  const tempBase =
    kind === 'plc'
      ? r.range(36, 44)
      : kind === 'ups'
        ? r.range(23, 28)
        : kind === 'power_switch'
          ? r.range(27, 33)
          : outdoor
            ? r.range(9, 17)
            : siteKind === 'factory'
              ? r.range(22, 29)
              : r.range(20, 23.5);
  const machinery = kind === 'plc' || (kind === 'sensor' && siteKind === 'factory');
  return {
    device,
    // The site as a Telegraf agent's [global_tags] gives it to every metric of the site's devices.
    hostTags: { host, site },
    cpuTags: { host, site, cpu: 'cpu-total' },
    diskTags: disks.map((d) => ({ host, site, path: d.path })),
    netTags: nets.map((n) => ({ host, site, interface: n.iface })),
    sensorTags: { host, site, kind },
    offsetUs: r.int(0, 1500) * 1000 + r.int(0, 999),
    ncpu: server ? r.pick([8, 16, 32]) : router ? 4 : 2,
    cpuBase: server ? r.range(12, 38) : router ? r.range(6, 22) : r.range(3, 12),
    memTotalBytes: (server ? r.pick([32, 64, 128]) : router ? 8 : 4) * GIB,
    memBase: r.range(32, 62),
    disks,
    nets,
    rebootPeriodUs: r.int(20, 40) * DAY_US,
    rebootPhaseUs: r.int(0, 40 * 24) * HOUR_US + r.int(0, 3599) * SECOND_US,
    tempBase,
    tempDailyAmplitude: outdoor ? r.range(3.5, 6.5) : r.range(0.4, 1.4),
    tempActivityGain: kind === 'plc' ? r.range(3, 7) : kind === 'power_switch' || kind === 'ups' ? r.range(1, 3) : 0.5,
    outdoor,
    vibrationBase: machinery ? r.range(1.2, 4) : r.range(0.03, 0.2),
    pressureBase: kind === 'plc' ? r.range(320, 620) : r.range(100.6, 102),
    pressureActivityGain: kind === 'plc' ? 0.45 : 0,
    powerBase:
      kind === 'power_switch'
        ? r.range(4000, 30000)
        : kind === 'ups'
          ? r.range(800, 3500)
          : kind === 'plc'
            ? r.range(60, 180)
            : r.range(1.5, 4.5),
  };
}

function windowProgress(t: number, from: number, to: number): number {
  return to <= from ? 1 : clamp((t - from) / (to - from), 0, 1);
}

/**
 * Normal behaviour of every device plus the effects incidents add. Everything is a closed-form
 * function of time (counters are integrals of their rate since boot), so any instant can be
 * generated without replaying the past: backfill and live produce the same curves.
 */
export class TelemetryModel {
  private readonly profiles: DeviceProfile[];
  private readonly rng = new Rng(0);

  constructor(
    private readonly seed: number,
    topology: Topology
  ) {
    this.profiles = topology.devices.map((d) => buildProfile(seed, d));
  }

  offsetUs(device: SimDevice): number {
    return this.profiles[device.index].offsetUs;
  }

  interfacesOf(device: SimDevice): string[] {
    return this.profiles[device.index].nets.map((n) => n.iface);
  }

  diskPathsOf(device: SimDevice): string[] {
    return this.profiles[device.index].disks.map((d) => d.path);
  }

  diskTotalBytes(device: SimDevice, path: string): number {
    return this.profiles[device.index].disks.find((d) => d.path === path)?.totalBytes ?? 0;
  }

  /** Last planned maintenance reboot (patching) at or before t. */
  periodicBootUs(device: SimDevice, timeUs: number): number {
    const p = this.profiles[device.index];
    return floor((timeUs - p.rebootPhaseUs) / p.rebootPeriodUs) * p.rebootPeriodUs + p.rebootPhaseUs;
  }

  bootUs(device: SimDevice, timeUs: number, state: HostEffects | undefined): number {
    let boot = this.periodicBootUs(device, timeUs);
    if (state) for (const b of state.boots) if (b <= timeUs && b > boot) boot = b;
    return boot;
  }

  /** Normal temperature (no incident, no noise): incidents plan their warning lines with it. */
  temperatureC(device: SimDevice, timeUs: number): number {
    const p = this.profiles[device.index];
    const hour = (timeUs % DAY_US) / HOUR_US;
    const daily = p.tempDailyAmplitude * sin((2 * PI * (hour - 9)) / 24);
    const yearPhase = (2 * PI * (timeUs % (365.25 * DAY_US))) / (365.25 * DAY_US);
    // Outdoor sensors follow the year (coldest mid-January); indoor ones barely do.
    const annual = (p.outdoor ? 8 : 0.6) * -cos(yearPhase - 0.28);
    return p.tempBase + daily + annual + p.tempActivityGain * activity(device.site.kind, timeUs);
  }

  /** Normal disk usage (no incident, no noise). */
  diskUsedPercent(device: SimDevice, path: string, timeUs: number): number {
    const disk = this.profiles[device.index].disks.find((d) => d.path === path);
    if (!disk) return 0;
    const cycle = (timeUs / disk.cyclePeriodUs + disk.phase) % 1;
    return disk.baseUsed + disk.cycleAmplitude * cycle;
  }

  /** cpu, mem, disk, net and system points of one Telegraf collection at `timeUs`. */
  hostMetrics(device: SimDevice, timeUs: number, state: HostEffects | undefined, out: SeriesPoint[]): void {
    const p = this.profiles[device.index];
    const r = this.rng.reseed(hashKey([this.seed, STREAM.metrics, device.index, floor(timeUs / SECOND_US)]));
    const act = activity(device.site.kind, timeUs);
    let extraCpu = 0;
    let extraMem = 0;
    if (state) {
      for (const e of state.effects) {
        if (e.kind === 'cpu_load' && timeUs >= e.fromUs && timeUs < e.toUs) {
          extraCpu += e.extraPercent * (0.6 + 0.8 * r.next());
          extraMem += e.extraPercent / 4;
        }
      }
    }
    const cpu = clamp(p.cpuBase * (0.35 + 0.9 * act) + 2.5 * r.normal() + extraCpu, 0.3, 99.5);
    const user = round2(cpu * 0.72);
    const system = round2(cpu * 0.28);
    out.push({
      measurement: INPUT.cpu.measurement,
      tags: p.cpuTags,
      fields: { [CPU.usageUser]: user, [CPU.usageSystem]: system, [CPU.usageIdle]: round2(100 - user - system) },
      timeUs,
    });

    const memUsed = clamp(p.memBase + 12 * (act - 0.6) + 1.2 * r.normal() + extraMem, 3, 99.5);
    out.push({
      measurement: INPUT.mem.measurement,
      tags: p.hostTags,
      fields: { [MEM.usedPercent]: round2(memUsed) },
      intFields: { [MEM.available]: round(p.memTotalBytes * (1 - memUsed / 100)) },
      timeUs,
    });

    for (let i = 0; i < p.disks.length; i++) {
      const disk = p.disks[i];
      let used = this.diskUsedPercent(device, disk.path, timeUs) + 0.02 * r.normal();
      if (state) {
        for (const e of state.effects) {
          if (e.kind === 'disk_fill' && e.path === disk.path && timeUs >= e.fromUs && timeUs < e.toUs) {
            const progress = windowProgress(timeUs, e.fromUs, e.fullUs);
            used = used + (100 - used) * progress * progress;
          }
        }
      }
      used = clamp(used, 0, 100);
      out.push({
        measurement: INPUT.disk.measurement,
        tags: p.diskTags[i],
        fields: { [DISK.usedPercent]: round2(used) },
        intFields: { [DISK.free]: round(disk.totalBytes * (1 - used / 100)) },
        timeUs,
      });
    }

    const boot = this.bootUs(device, timeUs, state);
    const sinceBootS = (timeUs - boot) / SECOND_US;
    for (let i = 0; i < p.nets.length; i++) {
      const net = p.nets[i];
      // Counters are integrals of a daily-sine rate since boot, so they only ever grow between reboots.
      const w = (2 * PI) / (DAY_US / SECOND_US);
      const theta = (t: number) => w * (t / SECOND_US) - 2;
      const integral = sinceBootS + (0.5 / w) * (cos(theta(boot)) - cos(theta(timeUs)));
      const jitter = 0.02 * 60 * r.next();
      const recv = floor(net.bytesPerSecond * (integral + jitter));
      const sent = floor(net.bytesPerSecond * net.sendRatio * (integral + jitter));
      let errors = floor((net.errorsPerDay * sinceBootS) / 86400);
      if (state) {
        for (const e of state.effects) {
          if (e.kind === 'net_errors' && e.iface === net.iface && timeUs >= e.fromUs && e.fromUs >= boot) {
            errors += floor(e.errors * windowProgress(timeUs, e.fromUs, e.toUs));
          }
        }
      }
      out.push({
        measurement: INPUT.net.measurement,
        tags: p.netTags[i],
        fields: {},
        intFields: {
          [NET.bytesRecv]: recv,
          [NET.bytesSent]: sent,
          [NET.errIn]: errors,
          [NET.errOut]: floor(errors / 3),
        },
        timeUs,
      });
    }

    out.push({
      measurement: INPUT.system.measurement,
      tags: p.hostTags,
      fields: { [SYSTEM.load1]: round2((p.ncpu * cpu * (0.8 + 0.4 * r.next())) / 100) },
      intFields: { [SYSTEM.uptime]: floor(sinceBootS) },
      timeUs,
    });
  }

  /** One `sensors` point: temperature, vibration, pressure and power draw. */
  sensorMetrics(device: SimDevice, timeUs: number, state: HostEffects | undefined, out: SeriesPoint[]): void {
    const p = this.profiles[device.index];
    const r = this.rng.reseed(hashKey([this.seed, STREAM.metrics, device.index, floor(timeUs / SECOND_US)]));
    const act = activity(device.site.kind, timeUs);
    let temperature = this.temperatureC(device, timeUs) + 0.15 * r.normal();
    let powerFactor = 1;
    if (state) {
      for (const e of state.effects) {
        if (timeUs < e.fromUs || timeUs >= e.toUs) continue;
        if (e.kind === 'temp_ramp') {
          const rise = windowProgress(timeUs, e.fromUs, e.peakUs);
          const fall = timeUs > e.peakUs ? windowProgress(timeUs, e.peakUs, e.toUs) : 0;
          temperature += e.deltaC * pow(rise, 1.5) * (1 - fall);
        } else if (e.kind === 'power_dip') {
          powerFactor *= e.factor;
        }
      }
    }
    const vibration = p.vibrationBase * (0.25 + act) * (1 + 0.08 * r.normal());
    const weather = 1.1 * sin((2 * PI * timeUs) / (3.7 * DAY_US)) + 0.5 * sin((2 * PI * timeUs) / (9.3 * DAY_US) + 1);
    const pressure =
      p.pressureActivityGain > 0
        ? p.pressureBase * (1 - p.pressureActivityGain + p.pressureActivityGain * act) + 4 * r.normal()
        : p.pressureBase + weather + 0.03 * r.normal();
    const power = p.powerBase * (0.45 + 0.55 * act) * (1 + 0.02 * r.normal()) * powerFactor;
    out.push({
      measurement: INPUT.sensors.measurement,
      tags: p.sensorTags,
      fields: {
        [SENSOR.temperatureC]: round2(temperature),
        [SENSOR.vibrationMmS]: round2(max(0, vibration)),
        [SENSOR.pressureKpa]: round2(pressure),
        [SENSOR.powerW]: round2(max(0, power)),
      },
      timeUs,
    });
  }
}

import type { DeviceKind, SiteKind } from '@nocai/contract';
import type { Rng } from './random';
import type { MessageTemplate } from './templates';
import type { SimDevice } from './topology';

/** What a message may say about the device that logs it. */
export interface HostContext {
  host: string;
  kind: DeviceKind;
  siteKind: SiteKind;
  /** 10.<site>.<subnet>.<n>: addresses stay inside the site's private range. */
  siteIndex: number;
  ip: string;
  gateway: string;
  /** Interfaces the device has (also the `interface` tag of its `net` metrics). */
  interfaces: readonly string[];
}

const INTERFACES: Record<DeviceKind, readonly string[]> = {
  router: ['GigabitEthernet0/0/0', 'GigabitEthernet0/0/1'],
  network_switch: ['TenGigabitEthernet1/1/1', 'GigabitEthernet1/0/1'],
  server: ['eth0'],
  power_switch: ['eth0'],
  ups: ['eth0'],
  patient_monitor: ['eth0'],
  plc: ['eth0'],
  sensor: ['eth0'],
};

export function hostContext(device: SimDevice): HostContext {
  const subnet = device.index % 32;
  return {
    host: device.host,
    kind: device.kind,
    siteKind: device.site.kind,
    siteIndex: device.siteIndex,
    ip: `10.${device.siteIndex % 250}.${subnet}.${10 + (device.index % 240)}`,
    gateway: `10.${device.siteIndex % 250}.${subnet}.1`,
    interfaces: INTERFACES[device.kind],
  };
}

type Generator = (r: Rng, ctx: HostContext) => string;

const hex = (r: Rng, digits: number): string => {
  let out = '';
  for (let i = 0; i < digits; i++) out += '0123456789abcdef'[r.int(0, 15)];
  return out;
};
const fixed1 = (value: number): string => value.toFixed(1);

// Public prefixes typical of scanning traffic; the last octets vary per attacker.
const EXTERNAL_PREFIXES = [
  '185.220.101',
  '45.134.26',
  '103.145.13',
  '91.240.118',
  '194.26.29',
  '61.177.172',
  '218.92.0',
  '141.98.11',
];
const USERS = [
  'admin',
  'jdoe',
  'msmith',
  'akumar',
  'lchen',
  'operator1',
  'backup',
  'deploy',
  'ansible',
  'nurse.kelly',
  'tech.ortiz',
];
const BAD_USERS = [
  'root',
  'admin',
  'test',
  'oracle',
  'ubuntu',
  'pi',
  'guest',
  'user',
  'support',
  'ftpuser',
  'postgres',
  'git',
  'hadoop',
  'ubnt',
  'administrator',
  'debian',
];
const SERVICES = [
  'nginx',
  'postgresql',
  'hl7-gateway',
  'pacs-sync',
  'mes-connector',
  'scada-historian',
  'booking-api',
  'traffic-api',
  'mosquitto',
];
const PROCESSES = ['java', 'node', 'python3', 'postgres', 'nginx', 'hl7d', 'historiand', 'mqtt-bridge'];
const LIBS = ['libc.so.6', 'libssl.so.3', 'libpq.so.5', 'libjvm.so', 'libstdc++.so.6'];
const EXCEPTIONS = [
  'java.lang.NullPointerException',
  'java.util.concurrent.TimeoutException',
  'java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available',
  'java.lang.IllegalStateException: Queue full',
  'org.springframework.dao.DataAccessResourceFailureException',
];
const ZONES: Record<SiteKind, readonly string[]> = {
  hospital: [
    'server room',
    'ward 3 corridor',
    'ICU plant room',
    'pharmacy cold room',
    'operating theatre 2',
    'basement switch room',
  ],
  factory: ['line 2 cabinet', 'paint shop', 'cold store', 'compressor house', 'server room', 'warehouse bay 4'],
  hotel: ['server room', 'kitchen', 'lobby', 'laundry', 'roof HVAC deck', 'wine cellar'],
  smart_city: ['traffic cabinet 14', 'substation kiosk', 'tunnel section B', 'pump station 3', 'data hut', 'bus depot'],
};
const TASKS = ['acq_loop', 'net_rx', 'display', 'modbus_poll', 'telemetry_tx', 'alarm_mgr'];
const NET_SERVICES = ['ospf', 'snmpd', 'sshd', 'lldp', 'stp', 'dhcp_snoop'];
const CRON_COMMANDS = [
  'cd / && run-parts --report /etc/cron.hourly',
  '/usr/lib/sysstat/debian-sa1 1 1',
  '/usr/local/bin/backup.sh --incremental',
  'test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )',
  '/opt/app/bin/purge-sessions',
  '[ -x /usr/lib/php/sessionclean ] && /usr/lib/php/sessionclean',
];
const UNIT_DESCRIPTIONS = [
  'Daily apt download activities',
  'Session 4 of User admin',
  'Cleanup of Temporary Directories',
  'Rotate log files',
  'Daily man-db regeneration',
  'Message of the Day',
  'Refresh fwupd metadata and update motd',
];
const LOG_FILES = [
  '/var/log/syslog',
  '/var/log/nginx/access.log',
  '/var/log/auth.log',
  '/var/log/postgresql/postgresql-15-main.log',
  '/var/log/app/app.log',
];
const UNIT_NAMES = ['logrotate', 'apt-daily', 'man-db', 'systemd-tmpfiles-clean', 'fwupd-refresh', 'motd-news'];
const PACKAGES = [
  'openssl libssl3',
  'tzdata',
  'libc6 libc-bin',
  'curl libcurl4',
  'openssh-client openssh-server',
  'linux-firmware',
];
const NTP_NAMES = ['0.pool.ntp.org', '1.pool.ntp.org', 'time.cloudflare.com', 'ntp1.site.local'];
const PROFILES = ['ADULT', 'PEDIATRIC', 'NEONATAL', 'CARDIAC', 'POST-OP'];
const CLINICAL_ALARMS = ['SpO2 LOW', 'HR HIGH', 'NIBP DUE', 'LEADS OFF', 'RESP APNEA', 'ST ELEVATION'];
const RECIPES = ['BTL-330-STD', 'BTL-500-SPARK', 'PKG-TRAY-24', 'STEEL-S355-8MM', 'CAN-250-ZERO'];
const MACHINES = [
  'pump P-101',
  'conveyor drive M3',
  'compressor K-2',
  'press line motor',
  'mixer agitator A4',
  'fan unit FU-7',
];
const CLIENTS = ['android-5f2c', 'iPhone', 'POS-TERM-03', 'printer-2f', 'cam-lobby-02', 'laptop-ops7', 'kiosk-04'];
const DEVICES = ['sda', 'sdb', 'nvme0n1'];

const GENERATORS: Record<string, Generator> = {
  unit: (_r, c) => c.host.toUpperCase(),
  feed: (r) => r.pick(['A', 'B']),
  volts: (r) => String(r.int(221, 239)),
  sagvolts: (r) => String(r.int(150, 195)),
  dcv: (r) => fixed1(r.range(14, 20)),
  amps: (r) => fixed1(r.range(16.2, 19.5)),
  kw: (r) => fixed1(r.range(2, 40)),
  dur: (r) => `${r.int(0, 2)}h ${r.int(0, 59)}m ${r.int(0, 59)}s`,
  ms: (r) => String(r.int(20, 900)),
  ms2: (r) => String(r.int(900, 4000)),
  secs: (r) => String(r.int(3, 240)),
  mins: (r) => String(r.int(2, 45)),
  n: (r) => String(r.int(1, 4)),
  n2: (r) => String(r.int(60, 130)),
  n3: (r) => String(r.int(100, 999)),
  count: (r) => String(r.int(3, 500)),
  count2: (r) => String(r.int(10, 2000)),
  pct: (r) => String(r.int(5, 98)),
  battery: (r) => String(r.int(70, 100)),
  rh: (r) => String(r.int(35, 55)),
  roomtemp: (r) => fixed1(r.range(19, 24.5)),
  temp: (r) => fixed1(r.range(30, 45)),
  thr: (r) => String(r.int(30, 40)),
  rpm: (r) => String(r.int(0, 1100)),
  dbm: (r) => fixed1(r.range(15, 25)),
  vib: (r) => fixed1(r.range(7.2, 14)),
  aq: (r) => String(r.int(26, 90)),
  rawval: (r) => String(r.pick([-999, 6553.5, -273.1, 0])),
  vlan: (r) => String(r.pick([10, 20, 30, 100, 110, 200, 310])),
  slot: (r) => String(r.int(1, 8)),
  seq: (r) => String(r.int(1000, 999999)),
  epoch: (r) => String(r.int(1_600_000_000, 1_900_000_000)),
  uid: (r) => String(r.int(1000, 1020)),
  pid: (r) => String(r.int(300, 65000)),
  port: (r) => String(r.int(1024, 65535)),
  kb: (r) => String(r.int(200_000, 8_000_000)),
  kb2: (r) => String(r.int(100_000, 4_000_000)),
  free: (r) => fixed1(r.range(0.5, 20)),
  hex: (r) => hex(r, 8),
  hex4: (r) => hex(r, 4),
  hex6: (r) => hex(r, 6),
  hex16: (r) => `7f${hex(r, 10)}`,
  hex16b: (r) => `7ffd${hex(r, 8)}`,
  mac: (r) => Array.from({ length: 6 }, () => hex(r, 2)).join(':'),
  b64: (r) => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    let out = '';
    for (let i = 0; i < 43; i++) out += alphabet[r.int(0, 63)];
    return out;
  },
  ip: (r, c) => `10.${c.siteIndex % 250}.${r.int(0, 31)}.${r.int(2, 254)}`,
  gateway: (_r, c) => c.gateway,
  peer: (r, c) => `172.${16 + (c.siteIndex % 16)}.${r.int(0, 3)}.${r.pick([1, 2, 5, 6])}`,
  extip: (r) => `${r.pick(EXTERNAL_PREFIXES)}.${r.int(2, 254)}`,
  ntp: (r) => r.pick(['162.159.200.1', '162.159.200.123', '129.6.15.28', '10.0.0.123']),
  ntpname: (r) => r.pick(NTP_NAMES),
  iface: (r, c) => (c.kind === 'network_switch' ? `GigabitEthernet1/0/${r.int(1, 48)}` : r.pick(c.interfaces)),
  iface2: (r, c) => (c.kind === 'network_switch' ? `GigabitEthernet1/0/${r.int(1, 48)}` : r.pick(c.interfaces)),
  nic: (r) => r.pick(['eth0', 'eno1', 'ens192']),
  dev: (r) => r.pick(DEVICES),
  path: (r) => r.pick(['/var', '/data']),
  user: (r) => r.pick(USERS),
  cronuser: (r) => r.pick(['root', 'root', 'root', 'www-data', 'postgres']),
  baduser: (r) => r.pick(BAD_USERS),
  svc: (r) => r.pick(SERVICES),
  proc: (r) => r.pick(PROCESSES),
  lib: (r) => r.pick(LIBS),
  exc: (r) => r.pick(EXCEPTIONS),
  fqdn: (r, c) => `${r.pick(['portal', 'api', 'pacs', 'mes', 'booking'])}.${c.host.split('-')[0]}.example.net`,
  task: (r) => r.pick(TASKS),
  netsvc: (r) => r.pick(NET_SERVICES),
  zone: (r, c) => r.pick(ZONES[c.siteKind]),
  machine: (r) => r.pick(MACHINES),
  cmd: (r) => r.pick(CRON_COMMANDS),
  desc: (r) => r.pick(UNIT_DESCRIPTIONS),
  logfile: (r) => r.pick(LOG_FILES),
  unitname: (r) => r.pick(UNIT_NAMES),
  pkgs: (r) => r.pick(PACKAGES),
  client: (r) => r.pick(CLIENTS),
  bed: (r) => `${r.pick(['ICU', 'W3', 'ER', 'CCU', 'PACU'])}-${String(r.int(1, 24)).padStart(2, '0')}`,
  profile: (r) => r.pick(PROFILES),
  clinalarm: (r) => r.pick(CLINICAL_ALARMS),
  recipe: (r) => r.pick(RECIPES),
  fw: (r) => `${r.int(2, 6)}.${r.int(0, 12)}.${r.int(0, 40)}`,
  iosver: (r) => `17.${r.int(3, 12)}.${r.int(1, 5)}`,
};

export function placeholderNames(): readonly string[] {
  return Object.keys(GENERATORS);
}

type Part = string | { name: string; generate: Generator };
const compiled = new Map<string, readonly Part[]>();

function compile(template: MessageTemplate): readonly Part[] {
  const parts: Part[] = [];
  const pattern = /\{([a-z0-9]+)\}/g;
  let last = 0;
  for (let match = pattern.exec(template.text); match; match = pattern.exec(template.text)) {
    if (match.index > last) parts.push(template.text.slice(last, match.index));
    const name = match[1];
    const generate = GENERATORS[name];
    if (!generate) throw new Error(`template ${template.id} uses unknown placeholder {${name}}`);
    parts.push({ name, generate });
    last = match.index + match[0].length;
  }
  if (last < template.text.length) parts.push(template.text.slice(last));
  return parts;
}

/** Placeholders of a template, in order (for tests and documentation). */
export function placeholdersOf(template: MessageTemplate): string[] {
  return compiledParts(template).flatMap((p) => (typeof p === 'string' ? [] : [p.name]));
}

function compiledParts(template: MessageTemplate): readonly Part[] {
  let parts = compiled.get(template.id);
  if (!parts) {
    parts = compile(template);
    compiled.set(template.id, parts);
  }
  return parts;
}

export type TemplateVars = Readonly<Record<string, string | number>>;

/**
 * Fills a template. `vars` pins values an incident needs to keep consistent (the attacker's IP,
 * the flapping interface, the temperature read at that moment); the rest is drawn from `r`.
 */
export function renderMessage(template: MessageTemplate, r: Rng, ctx: HostContext, vars?: TemplateVars): string {
  let out = '';
  let drawn: Record<string, string> | undefined;
  for (const part of compiledParts(template)) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const pinned = vars?.[part.name];
    if (pinned !== undefined) {
      out += String(pinned);
      continue;
    }
    drawn ??= {};
    let value = drawn[part.name];
    if (value === undefined) {
      value = part.generate(r, ctx);
      drawn[part.name] = value;
    }
    out += value;
  }
  return out;
}

export function externalIp(r: Rng): string {
  return `${r.pick(EXTERNAL_PREFIXES)}.${r.int(2, 254)}`;
}

export function pickService(r: Rng): string {
  return r.pick(SERVICES);
}

export function pickZone(r: Rng, siteKind: SiteKind): string {
  return r.pick(ZONES[siteKind]);
}

export function pickUser(r: Rng): string {
  return r.pick(USERS);
}

export function pickBadUser(r: Rng): string {
  return r.pick(BAD_USERS);
}

import { DEVICE_KINDS, isEventClass, isSyslogSeverity, SYSLOG_SEVERITY_CODES } from '@nocai/contract';
import type { DeviceKind, EventClass, SyslogSeverity } from '@nocai/contract';

function isDeviceKind(value: string): value is DeviceKind {
  return (DEVICE_KINDS as readonly string[]).includes(value);
}

/** Facility keywords as Telegraf's syslog input writes them in the `facility` tag. */
export const FACILITY_CODES = {
  kern: 0,
  user: 1,
  daemon: 3,
  auth: 4,
  syslog: 5,
  cron: 9,
  authpriv: 10,
  ntp: 12,
  local0: 16,
  local1: 17,
  local2: 18,
  local4: 20,
  local7: 23,
} as const;
export type Facility = keyof typeof FACILITY_CODES;

export const SEVERITY_CODES: Record<SyslogSeverity, number> = SYSLOG_SEVERITY_CODES;

/** The program name a device logs under when a template does not name one. */
export const DEFAULT_APPNAME: Record<DeviceKind, string> = {
  power_switch: 'pdud',
  ups: 'upsd',
  network_switch: 'ios',
  router: 'ios',
  server: 'kernel',
  patient_monitor: 'pm-agent',
  plc: 'plc-runtime',
  sensor: 'sensord',
};

/**
 * A syslog message shape. `{name}` marks a variable part filled by render.ts; the same name
 * twice in one message gets the same value.
 */
export interface MessageTemplate {
  id: string;
  eventClass: EventClass;
  deviceKinds: readonly DeviceKind[];
  /** Program name (`appname` tag); a device's DEFAULT_APPNAME when absent. */
  appname?: string;
  facility: Facility;
  severity: SyslogSeverity;
  text: string;
}

/**
 * The catalogue, one template per line: id | device kinds | facility | severity | appname | text.
 * `-` as appname means the device's DEFAULT_APPNAME. A `# class` line sets the class of the
 * templates below it. Kept as a table because a hundred object literals hide the messages.
 */
const CATALOGUE = `
# power
pwr.input_lost          | power_switch                                | local0   | crit    | -                  | PDU {unit}: input voltage lost on feed {feed} (was {volts} V)
pwr.input_restored      | power_switch                                | local0   | notice  | -                  | PDU {unit}: input voltage restored on feed {feed} ({volts} V) after {dur}
pwr.input_sag           | power_switch                                | local0   | warning | -                  | PDU {unit}: input voltage sag on feed {feed}: {sagvolts} V for {ms} ms
pwr.outlet_overload     | power_switch                                | local0   | warning | -                  | PDU {unit}: outlet {n} current {amps} A exceeds warning threshold 16 A
pwr.ups_on_battery      | ups                                         | daemon   | alert   | -                  | UPS {unit}: utility power failure, transferred to battery (charge {pct}%, runtime {mins} min)
pwr.ups_output_off      | ups                                         | daemon   | crit    | -                  | UPS {unit}: battery fault during transfer, output off, load dropped
pwr.ups_restored        | ups                                         | daemon   | notice  | -                  | UPS {unit}: utility power restored, returned from battery (charge {pct}%)
pwr.ups_battery_low     | ups                                         | daemon   | crit    | -                  | UPS {unit}: battery charge low ({pct}%), estimated runtime {mins} min
pwr.ups_replace_battery | ups                                         | daemon   | warning | -                  | UPS {unit}: battery self-test failed, replace battery (installed {n} years ago)
pwr.psu_ac_lost         | server                                      | kern     | crit    | -                  | ipmi: Power supply PSU{n} failure detected: AC input lost
pwr.psu_redundancy      | router,network_switch                       | local7   | crit    | -                  | %PLATFORM_ENV-1-PWR_LOST: Power supply {n} input lost, power redundancy lost
pwr.rail_fault          | patient_monitor,plc,sensor                  | daemon   | err     | -                  | Supply voltage dropped to {dcv} V (min 21.6 V), preparing controlled shutdown
pwr.monitor_on_battery  | patient_monitor                             | local1   | warning | -                  | Mains power lost, running on internal battery ({pct}%)
# network
net.link_down           | router,network_switch                       | local7   | err     | -                  | %LINK-3-UPDOWN: Interface {iface}, changed state to down
net.link_up             | router,network_switch                       | local7   | err     | -                  | %LINK-3-UPDOWN: Interface {iface}, changed state to up
net.lineproto_down      | router,network_switch                       | local7   | notice  | -                  | %LINEPROTO-5-UPDOWN: Line protocol on Interface {iface}, changed state to down
net.lineproto_up        | router,network_switch                       | local7   | notice  | -                  | %LINEPROTO-5-UPDOWN: Line protocol on Interface {iface}, changed state to up
net.bgp_down            | router                                      | local7   | notice  | -                  | %BGP-5-ADJCHANGE: neighbor {peer} Down BGP Notification sent: hold time expired
net.ospf_down           | router                                      | local7   | notice  | -                  | %OSPF-5-ADJCHG: Process 1, Nbr {peer} on {iface} from FULL to DOWN, Neighbor Down: Dead timer expired
net.crc_errors          | router,network_switch                       | local7   | warning | -                  | %ETHPORT-4-IF_ERRORS: Interface {iface}: {count} CRC errors, {count2} input errors in the last {mins} minutes
net.stp_topology        | network_switch                              | local7   | notice  | -                  | %SPANTREE-5-TOPOTRAP: Topology Change Trap for vlan {vlan} on port {iface}
net.mac_flap            | network_switch                              | local7   | warning | -                  | %SW_MATM-4-MACFLAP_NOTIF: Host {mac} in vlan {vlan} is flapping between port {iface} and port {iface2}
net.ipsla_loss          | router                                      | local7   | warning | -                  | %RTT-4-IPSLATHRESHOLD: IP SLA {n}: probe to {extip} packet loss {pct}%, rtt {ms} ms above threshold
net.nic_down            | server                                      | kern     | err     | -                  | {nic}: NIC Link is Down
net.nic_up              | server                                      | kern     | info    | -                  | {nic}: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX/TX
net.gw_unreachable      | server,patient_monitor,plc,sensor           | daemon   | err     | netmon             | gateway {gateway} unreachable: no route to host after {n} retries
net.dhcp_nooffer        | patient_monitor,plc,sensor                  | daemon   | warning | dhclient           | DHCPDISCOVER on eth0 to 255.255.255.255 port 67 interval {n}: no DHCPOFFERS received
net.central_lost        | patient_monitor                             | local1   | err     | -                  | Connection to central station {ip}:{port} lost, buffering waveforms locally
net.modbus_timeout      | plc                                         | local0   | err     | -                  | Modbus/TCP request to {ip}:502 timed out after {ms} ms (unit id {n})
net.mqtt_lost           | sensor                                      | daemon   | warning | -                  | MQTT connection to broker {ip}:8883 lost (rc=7), reconnecting in {secs} s
net.nmc_link_down       | ups,power_switch                            | daemon   | warning | nmc                | {unit}: network management card lost link on eth0, SNMP traps queued
# hardware
hw.fan_fail             | server,router,network_switch                | daemon   | crit    | -                  | Fan {n} speed {rpm} RPM below critical threshold 1200 RPM
hw.smart_pending        | server                                      | daemon   | crit    | smartd             | Device: /dev/{dev} [SAT], {count} Currently unreadable (pending) sectors
hw.edac_ce              | server                                      | kern     | warning | -                  | EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#{n}_DIMM#0 (channel:{n} slot:0 page:0x{hex} offset:0x0)
hw.mce                  | server                                      | kern     | err     | -                  | mce: [Hardware Error]: CPU {n}: Machine Check: 0 Bank 5: be00000000800400
hw.cpu_throttle         | server                                      | kern     | warning | -                  | CPU{n}: Core temperature above threshold, cpu clock throttled (total events = {count})
hw.sfp_rx_low           | router,network_switch                       | local7   | warning | -                  | %SFF8472-3-THRESHOLD_VIOLATION: {iface}: Rx power low alarm; Operating value: -{dbm} dBm, Threshold value: -14.0 dBm
hw.plc_module_fault     | plc                                         | local0   | crit    | -                  | I/O module in slot {slot} fault: watchdog timeout, outputs forced to safe state
hw.plc_temp_warn        | plc                                         | local0   | warning | -                  | CPU module temperature {temp} C exceeds warning limit {thr} C
hw.plc_temp_halt        | plc                                         | local0   | crit    | -                  | CPU module temperature {temp} C exceeds shutdown limit {thr} C, controller halted (fault code 0x{hex4})
hw.monitor_battery      | patient_monitor                             | local1   | warning | -                  | Internal battery health degraded: capacity {pct}% of design, service required
hw.monitor_module       | patient_monitor                             | local1   | err     | -                  | SpO2 module fault on channel {n}: probe self-test failed
hw.sensor_probe         | sensor                                      | daemon   | err     | -                  | Probe {n} reading out of range ({rawval}), calibration or replacement required
hw.vibration            | plc                                         | local0   | warning | -                  | Vibration {vib} mm/s on {machine} exceeds ISO 10816 zone C limit 7.1 mm/s
hw.pdu_relay            | power_switch                                | local0   | err     | -                  | PDU {unit}: outlet relay {n} failed to switch (stuck closed)
hw.ups_fan              | ups                                         | daemon   | err     | -                  | UPS {unit}: internal fan {n} failure, output derated to {pct}%
# software
sw.segfault             | server                                      | kern     | err     | -                  | {proc}[{pid}]: segfault at {hex} ip {hex16} sp {hex16b} error 4 in {lib}[{hex}+{hex6}]
sw.main_exited          | server                                      | daemon   | err     | systemd            | {svc}.service: Main process exited, code=killed, status=11/SEGV
sw.restart_scheduled    | server                                      | daemon   | warning | systemd            | {svc}.service: Scheduled restart job, restart counter is at {count}.
sw.start_limit          | server                                      | daemon   | crit    | systemd            | {svc}.service: Start request repeated too quickly. Failed with result 'core-dump'.
sw.oom_kill             | server                                      | kern     | err     | -                  | Out of memory: Killed process {pid} ({proc}) total-vm:{kb}kB, anon-rss:{kb2}kB, file-rss:0kB
sw.disk_warn            | server                                      | daemon   | warning | diskmon            | filesystem {path} is {pct}% full ({free} GB free)
sw.disk_full_db         | server                                      | local0   | crit    | postgres           | PANIC: could not write to file "pg_wal/xlogtemp.{pid}": No space left on device
sw.disk_full_log        | server                                      | syslog   | err     | rsyslogd           | file '{path}/log/syslog': write error: No space left on device
sw.db_slots             | server                                      | local0   | err     | postgres           | FATAL: remaining connection slots are reserved for non-replication superuser connections
sw.app_exception        | server                                      | local0   | err     | java               | ERROR unhandled exception in request handler: {exc} (request id {hex})
sw.cert_expiry          | server                                      | local0   | warning | nginx              | TLS certificate for {fqdn} expires in {n} days
sw.hl7_backlog          | server                                      | local0   | warning | hl7-gateway        | outbound queue to {ip}:{port} backlog {count} messages, delivery delayed
sw.watchdog_reset       | patient_monitor,plc,sensor                  | daemon   | err     | -                  | Application watchdog reset: task {task} unresponsive for {ms} ms
sw.net_service_crash    | router,network_switch                       | local7   | err     | -                  | %SYSMGR-3-SERVICE_CRASHED: Service "{netsvc}" (PID {pid}) hasn't caught signal 11 (core will be saved)
sw.plc_program_fault    | plc                                         | local0   | err     | -                  | Program fault in OB{n}: array index out of range in FB{count}, CPU switched to STOP
# security
sec.failed_password     | server                                      | authpriv | info    | sshd               | Failed password for {user} from {extip} port {port} ssh2
sec.failed_invalid_user | server                                      | authpriv | info    | sshd               | Failed password for invalid user {baduser} from {extip} port {port} ssh2
sec.invalid_user        | server                                      | authpriv | info    | sshd               | Invalid user {baduser} from {extip} port {port}
sec.max_auth            | server                                      | authpriv | err     | sshd               | error: maximum authentication attempts exceeded for {baduser} from {extip} port {port} ssh2 [preauth]
sec.accepted_external   | server                                      | authpriv | info    | sshd               | Accepted password for {baduser} from {extip} port {port} ssh2
sec.net_login_failed    | router,network_switch                       | local7   | warning | -                  | %SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: {baduser}] [Source: {extip}] [localport: 22] [Reason: Login Authentication Failed]
sec.net_login_success   | router,network_switch                       | local7   | notice  | -                  | %SEC_LOGIN-5-LOGIN_SUCCESS: Login Success [user: {baduser}] [Source: {extip}] [localport: 22]
sec.port_security       | network_switch                              | local7   | crit    | -                  | %PORT_SECURITY-2-PSECURE_VIOLATION: Security violation occurred, caused by MAC address {mac} on port {iface}.
sec.sudo_fail           | server                                      | authpriv | alert   | sudo               | {user} : 3 incorrect password attempts ; TTY=pts/{n} ; PWD=/home/{user} ; USER=root ; COMMAND=/bin/bash
sec.scan_detected       | router                                      | local4   | warning | -                  | %ASA-4-733100: [Scanning] drop rate-1 exceeded. Current burst rate is {count} per second, max configured rate is 10; source {extip}
sec.monitor_pin         | patient_monitor                             | local1   | warning | -                  | Service menu access denied from {ip}: invalid service PIN ({n} attempts)
sec.plc_unauth_write    | plc                                         | local0   | alert   | -                  | Unauthorized write attempt to DB{n} from {ip} rejected (protection level 3)
sec.nmc_login_failed    | ups,power_switch                            | auth     | warning | nmc                | {unit}: web interface login failed for user {baduser} from {ip}
# environment
env.temp_high           | sensor                                      | daemon   | warning | -                  | Ambient temperature {temp} C above warning threshold {thr} C in {zone}
env.temp_critical       | sensor                                      | daemon   | crit    | -                  | Ambient temperature {temp} C above critical threshold {thr} C in {zone}, alarm raised
env.hvac_fault          | sensor                                      | daemon   | err     | -                  | HVAC unit {n} serving {zone} reports compressor fault, supply air {temp} C
env.humidity            | sensor                                      | daemon   | warning | -                  | Relative humidity {pct}% outside allowed range 30-60% in {zone}
env.water_leak          | sensor                                      | daemon   | alert   | -                  | Water leak detected by probe {n} in {zone}
env.door_open           | sensor                                      | daemon   | notice  | -                  | Cabinet door in {zone} open for {mins} min
env.inlet_temp          | server                                      | daemon   | warning | ipmievd            | Inlet temperature {temp} C above upper non-critical threshold {thr} C
env.ups_ambient         | ups                                         | daemon   | warning | -                  | UPS {unit}: ambient temperature {temp} C high, battery life reduced
env.air_quality         | sensor                                      | daemon   | warning | -                  | PM2.5 concentration {aq} ug/m3 above limit 25 ug/m3 at {zone}
env.pdu_inlet           | power_switch                                | local0   | warning | -                  | PDU {unit}: inlet temperature {temp} C exceeds threshold {thr} C
# informational
info.cron               | server                                      | cron     | info    | CRON               | ({cronuser}) CMD ({cmd})
info.session_opened     | server                                      | authpriv | info    | sshd               | pam_unix(sshd:session): session opened for user {user}(uid={uid}) by (uid=0)
info.session_closed     | server                                      | authpriv | info    | sshd               | pam_unix(sshd:session): session closed for user {user}
info.accepted_key       | server                                      | authpriv | info    | sshd               | Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 SHA256:{b64}
info.systemd_started    | server                                      | daemon   | info    | systemd            | Started {desc}.
info.logrotate          | server                                      | daemon   | info    | logrotate          | rotating log {logfile}, log->rotateCount is 7
info.chrony             | server                                      | daemon   | info    | chronyd            | Selected source {ntp} ({ntpname})
info.audit              | server                                      | kern     | notice  | -                  | audit: type=1130 audit({epoch}.{n3}:{count}): pid=1 uid=0 msg='unit={unitname} comm="systemd" res=success'
info.apt                | server                                      | daemon   | info    | unattended-upgrade | Packages that will be upgraded: {pkgs}
info.ntp_net            | router,network_switch                       | local7   | notice  | -                  | %NTP-5-PEERSYNC: NTP synced to peer {ntp}
info.dhcp_ack           | router                                      | daemon   | info    | dhcpd              | DHCPACK on {ip} to {mac} ({client}) via {iface}
info.dhcp_request       | router                                      | daemon   | info    | dhcpd              | DHCPREQUEST for {ip} from {mac} ({client}) via {iface}
info.config_saved       | router,network_switch                       | local7   | notice  | -                  | %SYS-5-CONFIG_I: Configured from console by {user} on vty0 ({ip})
info.snmp_poll          | router,network_switch                       | local7   | info    | -                  | %SNMP-6-REQUEST: get-bulk request from {ip} for {count} OIDs served in {ms} ms
info.monitor_heartbeat  | patient_monitor                             | local1   | info    | -                  | heartbeat seq={seq} bed={bed} battery={battery}% status=OK
info.patient_admit      | patient_monitor                             | local1   | info    | -                  | Patient admitted to bed {bed}: monitoring profile {profile} loaded
info.alarm_ack          | patient_monitor                             | local1   | info    | -                  | Alarm {clinalarm} acknowledged on bed {bed} after {secs} s
info.plc_cycle          | plc                                         | local0   | info    | -                  | Scan cycle statistics: avg {ms} ms, max {ms2} ms over {count} cycles
info.plc_recipe         | plc                                         | local0   | notice  | -                  | Recipe {recipe} loaded on line {n} by operator {user}
info.sensor_report      | sensor                                      | daemon   | info    | -                  | report ok zone="{zone}" temp={roomtemp}C rh={rh}% battery={battery}%
info.ups_selftest       | ups                                         | daemon   | info    | -                  | UPS {unit}: self-test passed, battery charge {battery}%
info.ups_status         | ups                                         | daemon   | info    | -                  | UPS {unit}: on line, load {pct}%, battery charge 100%
info.pdu_status         | power_switch                                | local0   | info    | -                  | PDU {unit}: status OK, total load {kw} kW ({pct}% of rated)
info.pdu_outlet_on      | power_switch                                | local0   | info    | -                  | PDU {unit}: outlet {n} switched on by {user}
info.boot_completed     | patient_monitor,plc,sensor,power_switch,ups | daemon   | notice  | -                  | System boot completed in {secs} s, firmware {fw}
info.linux_boot         | server                                      | kern     | notice  | -                  | Linux version 5.15.0-{n2}-generic (buildd@lcy02-amd64-0{n}) #{count}-Ubuntu SMP
info.net_restart        | router,network_switch                       | local7   | notice  | -                  | %SYS-5-RESTART: System restarted -- Cisco IOS Software, Version {iosver}
`;

function parseCatalogue(text: string): MessageTemplate[] {
  const templates: MessageTemplate[] = [];
  let eventClass: EventClass | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const name = line.slice(1).trim();
      if (!isEventClass(name)) throw new Error(`template catalogue: unknown class ${name}`);
      eventClass = name;
      continue;
    }
    const cells = line.split(' | ').map((c) => c.trim());
    const [id, kinds, facility, severity, appname] = cells;
    const text = cells.slice(5).join(' | ');
    const deviceKinds = kinds.split(',');
    if (!eventClass || cells.length < 6) throw new Error(`template catalogue: malformed line ${line}`);
    if (!deviceKinds.every(isDeviceKind)) throw new Error(`template ${id}: unknown device kind in ${kinds}`);
    if (!(facility in FACILITY_CODES)) throw new Error(`template ${id}: unknown facility ${facility}`);
    if (!isSyslogSeverity(severity)) throw new Error(`template ${id}: unknown severity ${severity}`);
    templates.push({
      id,
      eventClass,
      deviceKinds,
      facility: facility as Facility,
      severity,
      text,
      appname: appname === '-' ? undefined : appname,
    });
  }
  return templates;
}

export const MESSAGE_TEMPLATES: readonly MessageTemplate[] = parseCatalogue(CATALOGUE);

const BY_ID = new Map(MESSAGE_TEMPLATES.map((tpl) => [tpl.id, tpl] as const));

export function templateById(id: string): MessageTemplate {
  const tpl = BY_ID.get(id);
  if (!tpl) throw new Error(`unknown message template ${id}`);
  return tpl;
}

export function appnameOf(template: MessageTemplate, kind: DeviceKind): string {
  return template.appname ?? DEFAULT_APPNAME[kind];
}

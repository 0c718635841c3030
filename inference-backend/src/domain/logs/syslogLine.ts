/** One syslog point as Telegraf's syslog input writes it (tags hostname/appname/facility/severity, field message). */
export interface SyslogLine {
  timeUs: number;
  hostname: string;
  appname: string;
  facility: string;
  severity: string;
  message: string;
}

/** The line's identity in InfluxDB: its series key and timestamp. */
export function syslogLineKey(line: SyslogLine): string {
  return `${line.hostname}\u0000${line.appname}\u0000${line.facility}\u0000${line.severity}\u0000${line.timeUs}`;
}

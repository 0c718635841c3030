import { toLineProtocol } from '../../inference-backend/src/adapters/influx/lineProtocol';

export interface TestSyslogLine {
  hostname: string;
  message: string;
  timeUs: number;
  appname?: string;
  severity?: string;
  facility?: string;
}

const SEVERITY_CODES: Record<string, number> = { emerg: 0, alert: 1, crit: 2, err: 3, warning: 4, notice: 5, info: 6, debug: 7 };

/** Line protocol exactly as Telegraf's syslog input writes it. */
export function syslogLineProtocol(line: TestSyslogLine): string {
  const severity = line.severity ?? 'info';
  return toLineProtocol({
    measurement: 'syslog',
    tags: { hostname: line.hostname, appname: line.appname ?? 'app', facility: line.facility ?? 'daemon', severity },
    fields: { message: line.message },
    intFields: { severity_code: SEVERITY_CODES[severity] ?? 6, facility_code: 3 },
    timeUs: line.timeUs,
  });
}

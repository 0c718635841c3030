import { isSyslogSeverity } from '@nocai/contract';
import type { EventClass, SyslogSeverity } from '@nocai/contract';
import { maskMessage, MASKING_VERSION } from '../logs/masking';

/**
 * The classifier the log pipeline runs until trained ONNX models are promoted: weighted
 * keyword rules over the masked message, a severity-dependent prior for routine chatter, and
 * a fixed alert policy. Deterministic, so its version alone identifies its behaviour.
 */
export const RULE_CLASSIFIER_VERSION = `rules-1+mask-${MASKING_VERSION}`;

export interface RuleClassifierInput {
  message: string;
  /** `message` as `maskMessage` masks it, when the caller has it already (the log stage's miner). */
  maskedMessage?: string;
  /** Accepted for parity with the model classifiers; rules read the message, because a
   * template may have generalised away the deciding word (`changed state to <*>`). */
  template: string;
  /** Telegraf's syslog keyword; common aliases (`error`, `warn`, `0`–`7`) are understood. */
  severity: SyslogSeverity | string;
  appname: string;
  deviceKind?: string;
}

export interface RuleClassification {
  eventClass: EventClass;
  decision: 'alert' | 'noise';
  /** In (0, 1): how clearly the winning class beat the others. */
  confidence: number;
  modelVersion: string;
  /** The matched phrases that decided the class, strongest first. */
  topTokens: string[];
}

interface Rule {
  eventClass: EventClass;
  pattern: RegExp;
  /** Evidence strength: ~1 for a phrase that settles the class alone, ~0.4 for a hint. */
  weight: number;
  /** Restricts the rule to some devices; see the two temperature rules. */
  appliesTo?: (input: RuleClassifierInput) => boolean;
}

const isEnvironmentSensor = (input: RuleClassifierInput): boolean => input.deviceKind === 'sensor';

/**
 * Patterns run case-insensitively over the masked message, where numbers, addresses and
 * paths are already placeholders (`fan <NUM> failed`). Acronyms that are also English words
 * (`SMART`, `UPS`) are matched case-sensitively.
 */
const RULES: readonly Rule[] = [
  // power
  { eventClass: 'power', pattern: /\bon battery\b/i, weight: 1.2 },
  { eventClass: 'power', pattern: /\bpower (?:lost|loss|failure|failed|fail|outage|cut)\b/i, weight: 1.2 },
  { eventClass: 'power', pattern: /\b(?:input |output )?voltage\b/i, weight: 0.8 },
  {
    eventClass: 'power',
    pattern: /\b(?:brownout|blackout|under-?voltage|over-?voltage|mains failure)\b/i,
    weight: 1.0,
  },
  { eventClass: 'power', pattern: /\bbattery (?:low|fault|failure|failed|exhausted|needs replacing)\b/i, weight: 1.0 },
  { eventClass: 'power', pattern: /\bUPS\b/, weight: 0.6 },
  { eventClass: 'power', pattern: /\b(?:PSU|PDU|power supply|breaker tripped|load on bypass)\b/i, weight: 0.7 },
  { eventClass: 'power', pattern: /\bgenerator\b/i, weight: 0.5 },
  // network
  {
    eventClass: 'network',
    pattern: /\b(?:link (?:is )?down|changed state to down|line protocol on .* down)/i,
    weight: 1.2,
  },
  { eventClass: 'network', pattern: /%(?:LINK|LINEPROTO|BGP|OSPF)-/, weight: 0.6 },
  { eventClass: 'network', pattern: /\binterface\b/i, weight: 0.4 },
  { eventClass: 'network', pattern: /\b(?:BGP|OSPF|EIGRP|IS-IS)\b/, weight: 0.8 },
  { eventClass: 'network', pattern: /\b(?:neighbou?r|adjacency|peer) (?:down|lost|reset)\b/i, weight: 0.8 },
  { eventClass: 'network', pattern: /\bpacket loss\b|\bpackets? dropped\b/i, weight: 1.0 },
  { eventClass: 'network', pattern: /\b(?:port|link) flap/i, weight: 1.0 },
  { eventClass: 'network', pattern: /\b(?:host |network )?unreachable\b/i, weight: 0.7 },
  { eventClass: 'network', pattern: /\b(?:CRC errors?|duplex mismatch|spanning.tree|STP|VLAN)\b/i, weight: 0.6 },
  { eventClass: 'network', pattern: /\bconnection (?:refused|reset|lost|timed out)\b/i, weight: 0.5 },
  { eventClass: 'network', pattern: /\b(?:latency|jitter|DNS|DHCP)\b/i, weight: 0.4 },
  // hardware; a temperature is the device's own unless the device is an environment sensor
  {
    eventClass: 'hardware',
    pattern: /\btemperature\b/i,
    weight: 0.6,
    appliesTo: (input) => !isEnvironmentSensor(input),
  },
  { eventClass: 'environment', pattern: /\btemperature\b/i, weight: 0.6, appliesTo: isEnvironmentSensor },
  { eventClass: 'hardware', pattern: /\b(?:overheat\w*|thermal)\b/i, weight: 0.7 },
  { eventClass: 'hardware', pattern: /\bfans?\b/i, weight: 0.6 },
  { eventClass: 'hardware', pattern: /\bfans? (?:<NUM> )?(?:fail\w*|stopped|fault)\b/i, weight: 0.8 },
  { eventClass: 'hardware', pattern: /\b(?:disk|drive|HDD|SSD) (?:failure|failed|error|fault)\b/i, weight: 1.2 },
  { eventClass: 'hardware', pattern: /\bSMART\b/, weight: 0.8 },
  { eventClass: 'hardware', pattern: /\b(?:ECC|MCE)\b|\bmachine check\b|\bmemory error\b/i, weight: 1.0 },
  { eventClass: 'hardware', pattern: /\bI\/O error\b|\bbad (?:block|sector)s?\b/i, weight: 1.0 },
  { eventClass: 'hardware', pattern: /\b(?:RAID|array) .*degraded\b|\bdegraded array\b/i, weight: 1.0 },
  { eventClass: 'hardware', pattern: /\bhardware (?:error|failure|fault)\b/i, weight: 1.0 },
  // software
  { eventClass: 'software', pattern: /\bsegfault\b|\bsegmentation fault\b/i, weight: 1.2 },
  { eventClass: 'software', pattern: /\bout of memory\b|\bOOM\b|\boom-killer\b|\bkilled process\b/i, weight: 1.2 },
  { eventClass: 'software', pattern: /\b(?:kernel panic|panic)\b/i, weight: 1.0 },
  { eventClass: 'software', pattern: /\bcrash(?:ed|es)?\b|\bcore dump(?:ed)?\b/i, weight: 1.0 },
  { eventClass: 'software', pattern: /\b\w*exception\b|\btraceback\b|\bstack trace\b/i, weight: 0.7 },
  { eventClass: 'software', pattern: /\b(?:assertion failed|deadlock|unhandled|null ?pointer)\b/i, weight: 0.9 },
  { eventClass: 'software', pattern: /\b(?:failed to start|exited abnormally|main process exited)\b/i, weight: 0.8 },
  { eventClass: 'software', pattern: /\brestart(?:ing|ed)?\b/i, weight: 0.4 },
  // security
  { eventClass: 'security', pattern: /\bfailed password\b/i, weight: 1.2 },
  {
    eventClass: 'security',
    pattern: /\bauthentication (?:failure|failed)\b|\bauthentication failures\b/i,
    weight: 1.2,
  },
  { eventClass: 'security', pattern: /\binvalid user\b/i, weight: 1.0 },
  // Appliances' web and console logins (UPS and PDU cards, switches): not a power or network fault.
  { eventClass: 'security', pattern: /\blogin (?:failed|failure|incorrect)\b|\bLOGIN_FAILED\b/i, weight: 1.2 },
  { eventClass: 'security', pattern: /\bbrute.?force\b|\bbreak-in attempt\b|\bport scan\w*\b/i, weight: 1.2 },
  { eventClass: 'security', pattern: /\b(?:intrusion|malware|virus|unauthori[sz]ed)\b/i, weight: 1.0 },
  { eventClass: 'security', pattern: /\b(?:access|permission) denied\b|\bincorrect password\b/i, weight: 0.6 },
  { eventClass: 'security', pattern: /\bcertificate (?:expired|invalid|revoked)\b/i, weight: 0.7 },
  // environment (the room, not the equipment)
  { eventClass: 'environment', pattern: /\broom temperature\b|\bambient\b/i, weight: 1.2 },
  { eventClass: 'environment', pattern: /\b(?:humidity|smoke|water leak|leak detected|flood\w*)\b/i, weight: 1.2 },
  { eventClass: 'environment', pattern: /\b(?:HVAC|CRAC|air ?con\w*|door open\w*)\b/i, weight: 1.0 },
  // routine chatter and recoveries: these outweigh a topic keyword such as `interface`
  {
    eventClass: 'informational',
    pattern:
      /\b(?:changed state to up|link (?:is )?up|power restored|on line power|back online|recovered|returned to normal)\b/i,
    weight: 1.5,
  },
  {
    eventClass: 'informational',
    pattern: /\bCMD\b|\bsession (?:opened|closed)\b|\baccepted (?:password|publickey)\b|\b(?:succeeded|successfully)\b/,
    weight: 0.6,
  },
];

/** Applications whose name alone hints at the class of what they log. */
const APP_HINTS: ReadonlyArray<readonly [RegExp, EventClass]> = [
  [/^(?:apcupsd|upsd|upsmon|nut|upsmond)$/i, 'power'],
  [/^(?:sshd|sudo|su|login|fail2ban|auditd)$/i, 'security'],
  [/^(?:smartd|mcelog|ipmi\w*|mdadm)$/i, 'hardware'],
  [/^(?:bgpd|ospfd|zebra|frr|dhcpd|named|ntpd)$/i, 'network'],
];
const APP_HINT_WEIGHT = 0.3;

const DEVICE_HINTS: Readonly<Record<string, EventClass>> = {
  ups: 'power',
  power_switch: 'power',
  network_switch: 'network',
  router: 'network',
  sensor: 'environment',
};
const DEVICE_HINT_WEIGHT = 0.2;

/**
 * Evidence for `informational` before any rule: the lower the severity, the more a line with
 * no recognised keyword is routine. Errors get none, so an unrecognised error scores low
 * confidence and goes to review rather than being dismissed.
 */
const ROUTINE_PRIOR: Readonly<Record<SyslogSeverity, number>> = {
  emerg: 0,
  alert: 0,
  crit: 0,
  err: 0,
  warning: 0.3,
  notice: 0.5,
  info: 0.6,
  debug: 0.8,
};

/** Confidence when nothing matched at all and the severity gives no prior either. */
const UNRECOGNISED_CONFIDENCE = 0.3;

const SEVERITY_ALIASES: Readonly<Record<string, SyslogSeverity>> = {
  '0': 'emerg',
  emergency: 'emerg',
  panic: 'emerg',
  '1': 'alert',
  '2': 'crit',
  critical: 'crit',
  '3': 'err',
  error: 'err',
  '4': 'warning',
  warn: 'warning',
  '5': 'notice',
  '6': 'info',
  information: 'info',
  informational: 'info',
  '7': 'debug',
};

/** The RFC 5424 keyword for `severity`, or undefined when it is not recognisable. */
export function normalizeSeverity(severity: string): SyslogSeverity | undefined {
  const key = severity.trim().toLowerCase();
  return isSyslogSeverity(key) ? key : SEVERITY_ALIASES[key];
}

/** Worth a ticket: err and worse, or already at warning for power and security. */
export function isAlert(eventClass: EventClass, severity: SyslogSeverity | undefined): boolean {
  if (eventClass === 'informational' || severity === undefined) return false;
  if (severity === 'emerg' || severity === 'alert' || severity === 'crit' || severity === 'err') return true;
  return severity === 'warning' && (eventClass === 'power' || eventClass === 'security');
}

export function classifyByRules(input: RuleClassifierInput): RuleClassification {
  const severity = normalizeSeverity(input.severity);
  const text = input.maskedMessage ?? maskMessage(input.message);
  const scores = new Map<EventClass, number>();
  const evidence: Array<{ eventClass: EventClass; token: string; weight: number }> = [];
  const addScore = (eventClass: EventClass, weight: number): void => {
    scores.set(eventClass, (scores.get(eventClass) ?? 0) + weight);
  };

  // An unknown severity is treated as notice: not alerting, but not trusted as routine either.
  addScore('informational', ROUTINE_PRIOR[severity ?? 'notice']);
  for (const rule of RULES) {
    if (rule.appliesTo !== undefined && !rule.appliesTo(input)) continue;
    const match = rule.pattern.exec(text);
    if (match === null) continue;
    addScore(rule.eventClass, rule.weight);
    evidence.push({ eventClass: rule.eventClass, token: match[0].toLowerCase(), weight: rule.weight });
  }
  const appHint = APP_HINTS.find(([pattern]) => pattern.test(input.appname));
  if (appHint !== undefined) {
    addScore(appHint[1], APP_HINT_WEIGHT);
    evidence.push({ eventClass: appHint[1], token: `app:${input.appname}`, weight: APP_HINT_WEIGHT });
  }
  const deviceHint = input.deviceKind === undefined ? undefined : DEVICE_HINTS[input.deviceKind];
  if (deviceHint !== undefined) {
    addScore(deviceHint, DEVICE_HINT_WEIGHT);
    evidence.push({ eventClass: deviceHint, token: `device:${input.deviceKind ?? ''}`, weight: DEVICE_HINT_WEIGHT });
  }

  let eventClass: EventClass = 'informational';
  let best = 0;
  let second = 0;
  for (const [candidate, score] of scores) {
    if (score > best) {
      second = best;
      best = score;
      eventClass = candidate;
    } else if (score > second) second = score;
  }
  // The margin over the runner-up, damped so that a single weak hint is not near-certain.
  const confidence = best === 0 ? UNRECOGNISED_CONFIDENCE : Math.min(0.99, best / (best + second + 0.25));

  const topTokens = evidence
    .filter((item) => item.eventClass === eventClass)
    .sort((a, b) => b.weight - a.weight)
    .map((item) => item.token)
    .filter((token, index, all) => all.indexOf(token) === index)
    .slice(0, 5);

  return {
    eventClass,
    decision: isAlert(eventClass, severity) ? 'alert' : 'noise',
    confidence: Math.round(confidence * 1000) / 1000,
    modelVersion: RULE_CLASSIFIER_VERSION,
    topTokens,
  };
}

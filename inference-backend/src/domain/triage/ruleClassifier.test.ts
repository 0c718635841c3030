import { classifyByRules, isAlert, normalizeSeverity, RULE_CLASSIFIER_VERSION } from './ruleClassifier';
import type { RuleClassifierInput } from './ruleClassifier';

function line(message: string, severity: string, appname = '', deviceKind?: string): RuleClassifierInput {
  return { message, template: message, severity, appname, deviceKind };
}

describe('classifyByRules', () => {
  it.each([
    [
      'a Cisco interface going down',
      line('%LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to down', 'err', '', 'network_switch'),
      'network',
      'alert',
    ],
    [
      'a failed ssh login logged at warning',
      line('Failed password for invalid user admin from 203.0.113.5 port 52211 ssh2', 'warning', 'sshd'),
      'security',
      'alert',
    ],
    [
      'a failed ssh login logged at info, as sshd does by default',
      line('Failed password for invalid user admin from 203.0.113.5 port 52211 ssh2', 'info', 'sshd'),
      'security',
      'noise',
    ],
    [
      'a UPS switching to battery',
      line('UPS on battery: input voltage lost', 'warning', 'upsmon', 'ups'),
      'power',
      'alert',
    ],
    [
      "a failed login on a UPS's web interface, which is about security, not power",
      line('UPS-01: web interface login failed for user admin from 10.0.11.161', 'warning', 'upsd', 'ups'),
      'security',
      'alert',
    ],
    ['the OOM killer', line('Out of memory: Killed process 4321 (java)', 'err', 'kernel'), 'software', 'alert'],
    [
      'a disk failing',
      line('smartd: Device /dev/sda, SMART Failure: disk failure imminent', 'crit', 'smartd'),
      'hardware',
      'alert',
    ],
    ['a fan stopping', line('Fan 2 failed, speed 0 RPM', 'err', 'ipmievd', 'server'), 'hardware', 'alert'],
    [
      'a water leak',
      line('Water leak detected under raised floor zone 3', 'alert', '', 'sensor'),
      'environment',
      'alert',
    ],
    ['a cron job', line('(root) CMD (run-parts /etc/cron.hourly)', 'info', 'CRON'), 'informational', 'noise'],
    [
      'an interface coming back up',
      line('%LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to up', 'err', '', 'router'),
      'informational',
      'noise',
    ],
    [
      'a segfault at notice',
      line('nginx[811]: segfault at 0 ip 0000 sp 0000 error 4', 'notice', 'kernel'),
      'software',
      'noise',
    ],
  ])('classifies %s', (_name, input, eventClass, decision) => {
    const result = classifyByRules(input);
    expect(result).toMatchObject({ eventClass, decision, modelVersion: RULE_CLASSIFIER_VERSION });
    expect(result.topTokens.length).toBeGreaterThan(0);
  });

  it('explains a decision with the phrases that matched, strongest first', () => {
    const result = classifyByRules(
      line('sshd[1234]: Failed password for invalid user admin from 203.0.113.5', 'err', 'sshd')
    );
    expect(result.topTokens).toEqual(['failed password', 'invalid user', 'app:sshd']);
  });

  it('When a temperature comes from an environment sensor, then it is about the room, not the hardware', () => {
    const message = 'Temperature threshold exceeded: 31.5 C';
    expect(classifyByRules(line(message, 'crit', '', 'sensor')).eventClass).toBe('environment');
    expect(classifyByRules(line(message, 'crit', '', 'server')).eventClass).toBe('hardware');
    expect(classifyByRules(line('Room temperature above 30 C', 'crit', '', 'server')).eventClass).toBe('environment');
  });

  it('is more confident with several matching phrases than with a single hint', () => {
    const strong = classifyByRules(line('UPS on battery: input voltage lost, power failure', 'crit'));
    const weak = classifyByRules(line('generator test scheduled', 'crit'));
    expect(strong.eventClass).toBe('power');
    expect(weak.eventClass).toBe('power');
    expect(strong.confidence).toBeGreaterThan(weak.confidence);
  });

  it('When an error matches no rule, then it is informational with low confidence, for review', () => {
    const result = classifyByRules(line('frobnicator returned 17', 'err'));
    expect(result).toMatchObject({ eventClass: 'informational', decision: 'noise', topTokens: [] });
    expect(result.confidence).toBeLessThan(0.5);
  });

  it('treats routine lines at low severity as confidently informational', () => {
    const result = classifyByRules(line('session opened for user root by (uid=0)', 'info', 'sshd'));
    expect(result.eventClass).toBe('informational');
    expect(result.confidence).toBeGreaterThan(0.6);
  });
});

describe('normalizeSeverity', () => {
  it.each([
    ['err', 'err'],
    ['ERROR', 'err'],
    ['warn', 'warning'],
    ['2', 'crit'],
    ['bogus', undefined],
  ])('reads %j as %j', (input, expected) => {
    expect(normalizeSeverity(input)).toBe(expected);
  });
});

describe('isAlert', () => {
  it('alerts from err upwards, and at warning only for power and security', () => {
    expect(isAlert('network', 'err')).toBe(true);
    expect(isAlert('network', 'warning')).toBe(false);
    expect(isAlert('power', 'warning')).toBe(true);
    expect(isAlert('security', 'warning')).toBe(true);
    expect(isAlert('security', 'notice')).toBe(false);
    expect(isAlert('informational', 'emerg')).toBe(false);
  });
});

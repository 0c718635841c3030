import type { TicketHistoryRow } from '@nocai/contract';
import fc from 'fast-check';
import { maskMessage } from '../domain/logs/masking';
import { classifyByRules } from '../domain/triage/ruleClassifier';
import type { LineInput } from '../pipeline/logStage';
import { departmentFor } from '../domain/incidents/policy';
import { MedianMttrBaseline, RuleTextRouter, ruleLineClassifier } from './baselineModels';

const HOUR_MS = 3_600_000;
const row = (i: number, hours: number, over: Partial<TicketHistoryRow> = {}): TicketHistoryRow => ({
  id: `T-${i}`,
  opened_at: new Date(Date.UTC(2024, 0, 1) + i * HOUR_MS).toISOString(),
  resolved_at: new Date(Date.UTC(2024, 0, 1) + i * HOUR_MS + hours * HOUR_MS).toISOString(),
  site: 'hosp-01',
  site_kind: 'hospital',
  host: 'hosp-01-ps-01',
  device_kind: 'power_switch',
  class: 'power',
  department: 'field_technicians',
  priority: 'P1',
  title: 'Power outage',
  description: '',
  resolution: 'reset',
  incident_id: '',
  ...over,
});
const input = (eventClass: string, department: string) => ({
  eventClass,
  department,
  priority: 'P1',
  siteKind: 'hospital',
  deviceKind: 'power_switch',
  openedAtMs: 0,
  fromIncident: false,
});

describe('MedianMttrBaseline', () => {
  it('When a class and department have enough past tickets, then their own quantiles answer, P90 above P50', async () => {
    const history = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((hours, i) => row(i, hours));
    const p = await new MedianMttrBaseline(history).predict(input('power', 'field_technicians'));
    expect(p.p50Seconds).toBeCloseTo(5.5 * 3600);
    expect(p.p90Seconds).toBeGreaterThan(p.p50Seconds);
    expect(p.note).toBeUndefined();
  });

  it('When a group has one past ticket, then all tickets answer instead of a P50 equal to its P90', async () => {
    const history = [
      ...[1, 2, 3, 4, 5, 6].map((hours, i) => row(i, hours)),
      row(99, 12, { class: 'security', department: 'security' }),
    ];
    const p = await new MedianMttrBaseline(history).predict(input('security', 'security'));
    expect(p.p90Seconds).toBeGreaterThan(p.p50Seconds);
  });

  it('When tickets were auto-resolved, then their durations are no times to resolve and are left out', async () => {
    const history = [
      ...[1, 1, 1, 1, 1, 2].map((hours, i) => row(i, hours)),
      ...[50, 50, 50, 50].map((hours, i) => row(10 + i, hours, { auto_resolved: 'true' })),
    ];
    const p = await new MedianMttrBaseline(history).predict(input('power', 'field_technicians'));
    expect(p.p90Seconds).toBeLessThanOrEqual(2 * 3600);
  });

  it('When every past ticket took as long, or there is no history, then P50 equals P90 and the note says why', async () => {
    const same = await new MedianMttrBaseline([1, 1, 1, 1, 1].map((hours, i) => row(i, hours))).predict(
      input('power', 'field_technicians')
    );
    expect(same).toMatchObject({
      p50Seconds: 3600,
      p90Seconds: 3600,
      note: 'every past ticket took about as long: P50 and P90 are the same',
    });
    const none = await new MedianMttrBaseline([]).predict(input('power', 'field_technicians'));
    expect(none.note).toBe('no ticket history: a default estimate (set NOCAI_TICKET_HISTORY)');
  });
});

describe('ruleLineClassifier', () => {
  /** What each line gets when classified on its own. */
  const alone = (input: LineInput) => {
    const verdict = classifyByRules(input);
    return { ...verdict, explanation: verdict.topTokens.map((feature, i) => ({ feature, weight: 1 / (i + 1) })) };
  };

  it('When a page repeats lines that differ in what masking replaces, severity, appname or device kind, then each line gets the verdict it gets alone', async () => {
    const base = { template: '', severity: 'err', appname: 'ups', deviceKind: 'ups', siteKind: 'hospital' };
    const inputs: LineInput[] = [
      { ...base, message: 'UPS on battery, load 41%' },
      { ...base, message: 'UPS on battery, load 77%', maskedMessage: maskMessage('UPS on battery, load 77%') },
      { ...base, message: 'UPS on battery, load 41%', severity: 'info' },
      { ...base, message: 'temperature 41 C', deviceKind: 'sensor' },
      { ...base, message: 'temperature 41 C', deviceKind: undefined },
      { ...base, message: 'temperature 41 C', deviceKind: '' },
      { ...base, message: 'link down on port 3', appname: 'kernel' },
      { ...base, message: 'link down on port 3', appname: 'snmpd' },
    ];
    expect(await ruleLineClassifier.classifyBatch(inputs)).toEqual(inputs.map(alone));
  });

  it('When any page is generated, then each line gets the verdict it gets alone', async () => {
    const part = (values: string[]) => fc.constantFrom(...values);
    const line = fc.record({
      message: fc.oneof(
        part(['UPS on battery', 'link down', 'temperature high', 'fan 2 failed', 'login failed for root', 'ok']),
        fc.string()
      ),
      template: fc.constant(''),
      severity: part(['emerg', 'err', 'warning', 'notice', 'info', '', '3:x', '1']),
      appname: part(['ups', 'kernel', 'sshd', '', '1:u', 'u1']),
      deviceKind: fc.option(part(['sensor', 'ups', 'router', '', '-', '1:']), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 30 }), async (page) => {
        expect(await ruleLineClassifier.classifyBatch(page)).toEqual(page.map(alone));
      }),
      { numRuns: 300 }
    );
  });
});

describe('RuleTextRouter', () => {
  const router = new RuleTextRouter();
  const disk = 'Disk failure: I/O error on every write, the drive is clicking';

  it("When a failing disk is reported about a server, then the field technicians get it, as an incident's; about a PLC, maintenance", async () => {
    expect(await router.route({ text: disk, deviceKind: 'server', siteKind: 'hospital' })).toMatchObject({
      eventClass: 'hardware',
      department: 'field_technicians',
    });
    expect(await router.route({ text: disk, deviceKind: 'plc', siteKind: 'factory' })).toMatchObject({
      eventClass: 'hardware',
      department: 'maintenance',
    });
    // No device named: IT gear, as the policy routes hardware it knows no exception for.
    expect(await router.route({ text: disk })).toMatchObject({ department: 'field_technicians' });
  });

  it('When any text is routed, then its department is the one the incident policy gives its class, device kind and site kind', async () => {
    const texts = [disk, 'UPS on battery, mains lost', 'Link down on the uplink', 'Temperature too high in room 2', ''];
    for (const text of texts) {
      for (const deviceKind of ['server', 'plc', 'sensor', 'ups', 'router', 'patient_monitor']) {
        for (const siteKind of ['hospital', 'factory']) {
          const routed = await router.route({ text, deviceKind, siteKind });
          expect(routed.department).toBe(departmentFor(routed.eventClass, deviceKind, siteKind));
        }
      }
    }
  });

  it("When a fault is reported in words, then its priority is the one the policy gives an incident of its class on that device at that site's criticality", async () => {
    const priorityOf = async (text: string, criticality?: number, deviceKind?: string) =>
      (await router.route({ text, criticality, deviceKind })).priority;
    // Network and security faults are less urgent than power and hardware (urgency 3 against 2).
    expect(await priorityOf('Link down on the uplink, packet loss', 3)).toBe('P3');
    expect(await priorityOf('Failed password for root from 203.0.113.9, authentication failure', 3)).toBe('P3');
    expect(await priorityOf('UPS on battery, mains lost', 3)).toBe('P2');
    // A life-critical site one step up, a low one one step down; a site nobody described neither.
    expect(await priorityOf('UPS on battery, mains lost', 5)).toBe('P1');
    expect(await priorityOf('Link down on the uplink, packet loss', 1)).toBe('P4');
    expect(await priorityOf('UPS on battery, mains lost')).toBe('P2');
    // A patient monitor endangers people: one step more urgent.
    expect(await priorityOf(disk, 3, 'patient_monitor')).toBe('P1');
  });
});

import type { Inventory, Priority, Ticket } from '@nocai/contract';
import type { ClassifiedEvent } from '../domain/incidents';
import { applyWorkflowChange } from '../domain/tickets';
import type { MttrInput, MttrPrediction, MttrPredictor } from '../services/ports';
import { TriageStep, type TriageState } from './triageStep';

const MINUTE_US = 60_000_000;
const T0_US = Date.UTC(2024, 2, 5, 10) * 1000;
const at = (minute: number) => T0_US + minute * MINUTE_US;

const INVENTORY: Inventory = {
  sites: [{ id: 'hosp', name: 'Hospital', kind: 'hospital', criticality: 5 }],
  devices: [{ host: 'hosp-srv', site: 'hosp', kind: 'server', dependsOn: [] }],
};

/** A time-to-resolve model whose answer depends on the priority, as the trained one's does. */
class PriorityMttr implements MttrPredictor {
  readonly asked: MttrInput[] = [];
  async predict(input: MttrInput): Promise<MttrPrediction> {
    this.asked.push(input);
    return { ...estimateFor(input.priority as Priority), modelVersion: 'mttr@v2' };
  }
}
const estimateFor = (priority: Priority) => {
  const p50Seconds = { P1: 1800, P2: 3600, P3: 7200, P4: 14_400 }[priority];
  return { p50Seconds, p90Seconds: 2 * p50Seconds };
};

const crash = (minute: number): ClassifiedEvent => ({
  timeUs: at(minute),
  hostname: 'hosp-srv',
  appname: 'nginx',
  severity: 'err',
  message: 'nginx segfault at 0 ip 0 sp 0 error 4',
  templateId: 'nginx segfault at <*>',
  eventClass: 'software',
  decision: 'alert',
  confidence: 0.9,
  modelVersion: 'event-class@v3+event-decision@v2',
});

describe('TriageStep', () => {
  it('When a person corrected the priority of an incident ticket, then the next engine update keeps it and estimates the time to resolve for it', async () => {
    const stored = new Map<string, Ticket>();
    const mttr = new PriorityMttr();
    const triage = new TriageStep({
      inventory: INVENTORY,
      // The server reports every 10 s throughout.
      heartbeats: {
        read: async (afterUs, toUs) => {
          const beats = [];
          for (let t = Math.ceil((afterUs + 1) / 10_000_000) * 10_000_000; t <= toUs; t += 10_000_000) {
            beats.push({ host: 'hosp-srv', timeUs: t });
          }
          return beats;
        },
      },
      tickets: {
        findById: async (id) => stored.get(id),
        remember: (written) => written.forEach(({ ticket }) => stored.set(ticket.id, ticket)),
      },
      mttr,
      similar: () => undefined,
      eventTags: async () => undefined,
    });
    const step = async (state: TriageState | undefined, events: ClassifiedEvent[], toMinute: number) => {
      const result = await triage.run(state, events, at(toMinute), at(toMinute) / 1000);
      triage.committed(result.state, result.tickets);
      return result;
    };

    const first = await step(undefined, [crash(1)], 5);
    const opened = first.tickets.at(-1)?.ticket;
    // A crash on a hospital's server: the engine routes it P1.
    expect(opened).toMatchObject({ source: 'logs', eventClass: 'software', priority: 'P1' });
    if (!opened) return;
    expect(opened.mttrP50Seconds).toBe(estimateFor('P1').p50Seconds);
    stored.set(opened.id, applyWorkflowChange(opened, { priority: 'P4' }, { by: 'alice', atMs: at(5) / 1000 }));

    const second = await step(first.state, [crash(6)], 9);

    const updated = second.tickets.filter(({ ticket }) => ticket.id === opened.id).at(-1)?.ticket;
    expect(updated).toMatchObject({
      relatedAlertCount: 2,
      priority: 'P4',
      predicted: { priority: 'P1' },
      mttrP50Seconds: estimateFor('P4').p50Seconds,
      mttrP90Seconds: estimateFor('P4').p90Seconds,
      modelVersion: 'event-class@v3+event-decision@v2|mttr@v2',
    });
    expect(mttr.asked.at(-1)).toMatchObject({ priority: 'P4', fromIncident: true });
  });
});

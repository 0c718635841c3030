import type { z } from 'zod';
import { checkInput, type InputWording } from './refusals';
import {
  commentRequestSchema,
  complaintRequestSchema,
  grafanaWebhookSchema,
  ticketsQuerySchema,
  ticketUpdateSchema,
} from './tickets';

const NOW = Date.UTC(2024, 2, 5, 12);
const QUERY: InputWording = { subject: 'the query string', member: 'parameter' };

/** The message the API answers with (`parse()` in app.ts words it with `checkInput`), for a body or a query string. */
function refusal(schema: z.ZodType, input: unknown, wording: InputWording = { subject: 'the request body' }) {
  const result = checkInput(schema, input, wording);
  return result.success ? undefined : result.message;
}

const alert = (labels: Record<string, string>) => ({ status: 'firing', labels, startsAt: '2024-03-05T12:00:00Z' });

describe('complaintRequestSchema', () => {
  it('When site or host cannot be a tag value, then the complaint is refused naming the field', () => {
    expect(refusal(complaintRequestSchema, { text: 'UPS on battery', site: 'hosp-01\\' })).toBe(
      'site must not end with a backslash'
    );
    expect(refusal(complaintRequestSchema, { text: 'UPS on battery', host: 'a\tb' })).toBe(
      'host must not contain control characters (found a tab at position 2)'
    );
    expect(complaintRequestSchema.parse({ text: 'UPS on battery', site: 'hosp-01', host: '' })).toMatchObject({
      host: '',
    });
  });
});

describe('ticketsQuerySchema', () => {
  it('When the site filter is too long or holds a CR, then the query is refused', () => {
    expect(refusal(ticketsQuerySchema(NOW), { site: 's'.repeat(300) })).toBe(
      'site must be at most 256 characters (it has 300)'
    );
    expect(refusal(ticketsQuerySchema(NOW), { site: 'a\rb' })).toMatch(/^site must not contain control characters/);
    expect(ticketsQuerySchema(NOW).safeParse({ site: '' }).success).toBe(false);
  });

  it("When a problem's tickets are asked for, then the name must be a problem name", () => {
    expect(ticketsQuerySchema(NOW).parse({ problem: 'plc-hot' }).problem).toEqual(['plc-hot']);
    expect(refusal(ticketsQuerySchema(NOW), { problem: "x' OR 1=1" })).toMatch(/^problem must be 1–64/);
  });

  it('When tickets of hosts are asked for, then the host filter takes a list and refuses what cannot be a host tag', () => {
    expect(ticketsQuerySchema(NOW).parse({ host: 'plc-7, sw-1' }).host).toEqual(['plc-7', 'sw-1']);
    expect(refusal(ticketsQuerySchema(NOW), { host: 'plc-7,' })).toBe(
      'host must be one value or a comma-separated list of values, without an empty one'
    );
    expect(refusal(ticketsQuerySchema(NOW), { host: 'a\tb' })).toMatch(/^host must not contain control/);
  });

  it('When the range is reversed, then the query is refused like the events query', () => {
    expect(refusal(ticketsQuerySchema(NOW), { from: '2000', to: '1000' })).toBe('from must not be after to');
  });
});

describe('ticketsQuerySchema department', () => {
  const SIX = 'field_technicians, network_ops, it_ops, security, facilities, maintenance';

  it('When a department is mistyped, then it is refused naming the departments accepted', () => {
    expect(refusal(ticketsQuerySchema(NOW), { department: 'facilites' }, QUERY)).toBe(
      `department must be one of ${SIX} (got "facilites")`
    );
  });

  it("When tickets carry an organisation's own department, then it is accepted, and named when another is refused", () => {
    const schema = ticketsQuerySchema(NOW, ['facilities', 'noc_tier2', '']);
    expect(schema.parse({ department: 'noc_tier2, facilities' }).department).toEqual(['noc_tier2', 'facilities']);
    expect(refusal(schema, { department: 'noc_tier3' }, QUERY)).toBe(
      `department must be one of ${SIX}, noc_tier2 (got "noc_tier3")`
    );
  });
});

describe('ticketsQuerySchema parameters and times', () => {
  it('When a parameter is unknown (a typo of a filter), then the list is refused rather than unfiltered', () => {
    expect(refusal(ticketsQuerySchema(NOW), { departement: 'facilities' }, QUERY)).toBe(
      'the query string has no parameter departement (it takes status, site, host, department, priority, problem, parent, parentStatus, from, to, limit, offset)'
    );
  });

  it('When from is now-7d and to is now, then they are epoch milliseconds relative to the given now', () => {
    expect(ticketsQuerySchema(NOW).parse({ from: 'now-7d', to: 'now' })).toMatchObject({
      from: NOW - 7 * 86_400_000,
      to: NOW,
    });
    expect(ticketsQuerySchema(NOW).parse({ from: '1709600000000' }).from).toBe(1709600000000);
  });

  it('When a status is one of the workflow statuses, then it filters; another is refused', () => {
    expect(ticketsQuerySchema(NOW).parse({ status: 'in_progress' }).status).toEqual(['in_progress']);
    expect(ticketsQuerySchema(NOW).safeParse({ status: 'done' }).success).toBe(false);
  });

  it('When a filter is a comma-separated list, then each value is trimmed and checked, and an empty one is refused', () => {
    expect(
      ticketsQuerySchema(NOW).parse({ site: 'hospital-a, factory-b ,hospital-a', priority: 'P1,P2' })
    ).toMatchObject({ site: ['hospital-a', 'factory-b'], priority: ['P1', 'P2'] });
    expect(refusal(ticketsQuerySchema(NOW), { department: 'facilities,' })).toBe(
      'department must be one value or a comma-separated list of values, without an empty one'
    );
    expect(refusal(ticketsQuerySchema(NOW), { priority: 'P1,P9' })).toBe(
      'priority must be one of P1, P2, P3, P4 (got "P9")'
    );
    expect(refusal(ticketsQuerySchema(NOW), { site: 'a,b\\' })).toBe('site must not end with a backslash');
  });
});

describe('ticketUpdateSchema', () => {
  it('When an assignee is a person or a team, then it is accepted; null unassigns', () => {
    expect(ticketUpdateSchema().parse({ assignee: 'user:alice@example.com', version: 3 })).toEqual({
      assignee: 'user:alice@example.com',
      version: 3,
    });
    expect(ticketUpdateSchema().parse({ assignee: 'team:network_ops' }).assignee).toBe('team:network_ops');
    expect(ticketUpdateSchema().parse({ assignee: null }).assignee).toBeNull();
  });

  it('When the assignee has no user: or team: prefix or holds a space, then the message shows the format', () => {
    for (const assignee of ['alice', 'user:', 'user:al ice', 'group:ops', 'team:-x']) {
      expect(refusal(ticketUpdateSchema(), { assignee })).toBe(
        'assignee must be user:<login> (letters, digits and . _ @ + -) or team:<name> (letters, digits and . _ -), e.g. user:alice or team:network_ops'
      );
    }
  });

  it('When a status is the backend own (auto_resolved, needs_review) or unknown, then it is refused', () => {
    for (const status of ['auto_resolved', 'needs_review', 'done']) {
      expect(ticketUpdateSchema().safeParse({ status }).success).toBe(false);
    }
  });

  it('When nothing would change or an unknown field is sent, then it is refused saying what can be changed', () => {
    expect(refusal(ticketUpdateSchema(), { comment: 'hi' })).toMatch(/^nothing to change: give status/);
    expect(refusal(ticketUpdateSchema(), { status: 'acknowledged', owner: 'bob' })).toBe(
      'the request body has no field owner (it takes version, status, assignee, eventClass, department, priority, comment)'
    );
  });

  it('When a comment is blank or too long, then it is refused saying so', () => {
    expect(refusal(commentRequestSchema, { text: '   ' })).toBe('text must not be empty');
    expect(refusal(commentRequestSchema, { text: 'x'.repeat(2001) })).toBe(
      'text must be at most 2000 characters (it has 2001)'
    );
    expect(commentRequestSchema.parse({ text: ' called the site ' }).text).toBe('called the site');
  });
});

describe('grafanaWebhookSchema', () => {
  it('When a 66 KB site label arrives, then the request is refused naming the label and the limit', () => {
    const result = refusal(grafanaWebhookSchema, { status: 'firing', alerts: [alert({ site: 'x'.repeat(66_000) })] });
    expect(result).toBe('alerts.0.labels.site must be at most 256 characters (it has 66000)');
  });

  it('When a label the tickets use ends with a backslash, then the request is refused naming it', () => {
    const result = refusal(grafanaWebhookSchema, {
      status: 'firing',
      alerts: [alert({ alertname: 'x', instance: 'C:\\' })],
    });
    expect(result).toBe('alerts.0.labels.instance must not end with a backslash');
  });

  it('When any other label is longer than 1024 characters, then it is refused; shorter ones keep any character', () => {
    const long = refusal(grafanaWebhookSchema, { status: 'firing', alerts: [alert({ runbook: 'r'.repeat(1025) })] });
    expect(long).toBe('alerts.0.labels.runbook must be at most 1024 characters (it has 1025)');
    const free = grafanaWebhookSchema.parse({
      status: 'firing',
      alerts: [alert({ query: 'a\\\nb'.repeat(100), site: 'hosp-01' })],
    });
    expect(free.webhook.alerts[0].labels.query).toBe('a\\\nb'.repeat(100));
  });

  it('When one alert of a notification holds a label no ticket can hold, then it alone is refused, named by its place, fingerprint and reason', () => {
    const parsed = grafanaWebhookSchema.parse({
      status: 'firing',
      receiver: 'nocai',
      alerts: [
        { ...alert({ alertname: 'Link down', host: 'sw-01' }), fingerprint: 'f0' },
        { ...alert({ alertname: 'Disk full', host: 'C:\\' }), fingerprint: 'f1' },
        { ...alert({ alertname: 'UPS on battery', site: 'hosp-01' }), fingerprint: 'f2' },
        { ...alert({ alertname: 'Fan' }), startsAt: 7, fingerprint: 'x'.repeat(129) },
      ],
    });
    expect(parsed.webhook.alerts.map((a) => a.fingerprint)).toEqual(['f0', 'f2']);
    expect(parsed.webhook.receiver).toBe('nocai');
    expect(parsed.refused).toEqual([
      { index: 1, fingerprint: 'f1', reason: 'alerts.1.labels.host must not end with a backslash' },
      // A fingerprint too long to be one is not repeated; the first refusal of the alert is said.
      { index: 3, reason: 'alerts.3.startsAt must be a string (got the number 7)' },
    ]);
  });

  it('When every alert of a notification is refused, then the notification is, naming the first three and counting the rest', () => {
    const bad = (i: number) => alert({ alertname: `a${i}`, site: `hosp-0${i}\\` });
    expect(refusal(grafanaWebhookSchema, { status: 'firing', alerts: [1, 2, 3, 4, 5].map(bad) })).toBe(
      'every alert is refused: alerts.0.labels.site must not end with a backslash; alerts.1.labels.site must not end with a backslash; alerts.2.labels.site must not end with a backslash; and 2 more alerts'
    );
    expect(refusal(grafanaWebhookSchema, { status: 'firing', alerts: ['none'] })).toBe(
      'alerts.0 must be an object (got the string "none")'
    );
  });

  it('When a request holds no alerts or more than 1000, then it is refused saying how to split it', () => {
    expect(refusal(grafanaWebhookSchema, { status: 'firing', alerts: [] })).toBe('alerts must hold at least one alert');
    const many = Array.from({ length: 1001 }, (_, i) => alert({ alertname: `a${i}` }));
    expect(refusal(grafanaWebhookSchema, { status: 'firing', alerts: many })).toBe(
      'alerts must hold at most 1000 per request: set max_alerts on the contact point'
    );
    expect(grafanaWebhookSchema.safeParse({ status: 'firing', alerts: many.slice(0, 1000) }).success).toBe(true);
  });
});

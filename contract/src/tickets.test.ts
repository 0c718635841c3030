import {
  commentRequestSchema,
  complaintRequestSchema,
  grafanaWebhookSchema,
  ticketsQuerySchema,
  ticketUpdateSchema,
} from './tickets';

const NOW = Date.UTC(2024, 2, 5, 12);

/** The message the API answers with: the path, then the first issue's message (as `parse()` in app.ts builds it). */
function firstIssue(result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }) {
  const issue = result.error?.issues[0];
  return issue ? `${issue.path.join('.')}: ${issue.message}` : undefined;
}

const alert = (labels: Record<string, string>) => ({ status: 'firing', labels, startsAt: '2024-03-05T12:00:00Z' });

describe('complaintRequestSchema', () => {
  it('When site or host cannot be a tag value, then the complaint is refused naming the field', () => {
    expect(firstIssue(complaintRequestSchema.safeParse({ text: 'UPS on battery', site: 'hosp-01\\' }))).toBe(
      'site: site must not end with a backslash'
    );
    expect(firstIssue(complaintRequestSchema.safeParse({ text: 'UPS on battery', host: 'a\tb' }))).toBe(
      'host: host must not contain control characters (found a tab at position 2)'
    );
    expect(complaintRequestSchema.parse({ text: 'UPS on battery', site: 'hosp-01', host: '' })).toMatchObject({
      host: '',
    });
  });
});

describe('ticketsQuerySchema', () => {
  it('When the site filter is too long or holds a CR, then the query is refused', () => {
    expect(firstIssue(ticketsQuerySchema(NOW).safeParse({ site: 's'.repeat(300) }))).toBe(
      'site: site must be at most 256 characters (it has 300)'
    );
    expect(firstIssue(ticketsQuerySchema(NOW).safeParse({ site: 'a\rb' }))).toMatch(
      /^site: site must not contain control characters/
    );
    expect(ticketsQuerySchema(NOW).safeParse({ site: '' }).success).toBe(false);
  });

  it("When a problem's tickets are asked for, then the name must be a problem name", () => {
    expect(ticketsQuerySchema(NOW).parse({ problem: 'plc-hot' }).problem).toEqual(['plc-hot']);
    expect(firstIssue(ticketsQuerySchema(NOW).safeParse({ problem: "x' OR 1=1" }))).toMatch(
      /^problem: problem must be 1–64/
    );
  });

  it('When tickets of hosts are asked for, then the host filter takes a list and refuses what cannot be a host tag', () => {
    expect(ticketsQuerySchema(NOW).parse({ host: 'plc-7, sw-1' }).host).toEqual(['plc-7', 'sw-1']);
    expect(firstIssue(ticketsQuerySchema(NOW).safeParse({ host: 'plc-7,' }))).toBe(
      'host: host must be a value or a comma-separated list of values, without an empty one'
    );
    expect(firstIssue(ticketsQuerySchema(NOW).safeParse({ host: 'a\tb' }))).toMatch(
      /^host: host must not contain control/
    );
  });

  it('When the range is reversed, then the query is refused like the events query', () => {
    expect(firstIssue(ticketsQuerySchema(NOW).safeParse({ from: '2000', to: '1000' }))).toBe(
      'from: from must not be after to'
    );
  });
});

describe('ticketsQuerySchema parameters and times', () => {
  it('When a parameter is unknown (a typo of a filter), then the list is refused rather than unfiltered', () => {
    expect(firstIssue(ticketsQuerySchema(NOW).safeParse({ departement: 'facilities' }))).toMatch(/departement/);
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
    expect(firstIssue(ticketsQuerySchema(NOW).safeParse({ department: 'facilities,' }))).toBe(
      'department: department must be a value or a comma-separated list of values, without an empty one'
    );
    expect(firstIssue(ticketsQuerySchema(NOW).safeParse({ priority: 'P1,P9' }))).toBe(
      'priority: priority "P9" is not one of P1, P2, P3, P4'
    );
    expect(firstIssue(ticketsQuerySchema(NOW).safeParse({ site: 'a,b\\' }))).toBe(
      'site: site must not end with a backslash'
    );
  });
});

describe('ticketUpdateSchema', () => {
  it('When an assignee is a person or a team, then it is accepted; null unassigns', () => {
    expect(ticketUpdateSchema.parse({ assignee: 'user:alice@example.com', version: 3 })).toEqual({
      assignee: 'user:alice@example.com',
      version: 3,
    });
    expect(ticketUpdateSchema.parse({ assignee: 'team:network_ops' }).assignee).toBe('team:network_ops');
    expect(ticketUpdateSchema.parse({ assignee: null }).assignee).toBeNull();
  });

  it('When the assignee has no user: or team: prefix or holds a space, then the message shows the format', () => {
    for (const assignee of ['alice', 'user:', 'user:al ice', 'group:ops', 'team:-x']) {
      expect(firstIssue(ticketUpdateSchema.safeParse({ assignee }))).toBe(
        'assignee: assignee must be user:<login> (letters, digits and . _ @ + -) or team:<name> (letters, digits and . _ -), e.g. user:alice or team:network_ops'
      );
    }
  });

  it('When a status is the backend own (auto_resolved, needs_review) or unknown, then it is refused', () => {
    for (const status of ['auto_resolved', 'needs_review', 'done']) {
      expect(ticketUpdateSchema.safeParse({ status }).success).toBe(false);
    }
  });

  it('When nothing would change or an unknown field is sent, then it is refused saying what can be changed', () => {
    expect(firstIssue(ticketUpdateSchema.safeParse({ comment: 'hi' }))).toMatch(/^: nothing to change: give status/);
    expect(firstIssue(ticketUpdateSchema.safeParse({ status: 'acknowledged', owner: 'bob' }))).toMatch(/owner/);
  });

  it('When a comment is blank or too long, then it is refused', () => {
    expect(commentRequestSchema.safeParse({ text: '   ' }).success).toBe(false);
    expect(commentRequestSchema.safeParse({ text: 'x'.repeat(2001) }).success).toBe(false);
    expect(commentRequestSchema.parse({ text: ' called the site ' }).text).toBe('called the site');
  });
});

describe('grafanaWebhookSchema', () => {
  it('When a 66 KB site label arrives, then the request is refused naming the label and the limit', () => {
    const result = grafanaWebhookSchema.safeParse({ status: 'firing', alerts: [alert({ site: 'x'.repeat(66_000) })] });
    expect(firstIssue(result)).toBe('alerts.0.labels.site: label site must be at most 256 characters (it has 66000)');
  });

  it('When a label the tickets use ends with a backslash, then the request is refused naming it', () => {
    const result = grafanaWebhookSchema.safeParse({
      status: 'firing',
      alerts: [alert({ alertname: 'x', instance: 'C:\\' })],
    });
    expect(firstIssue(result)).toBe('alerts.0.labels.instance: label instance must not end with a backslash');
  });

  it('When any other label is longer than 1024 characters, then it is refused; shorter ones keep any character', () => {
    const long = grafanaWebhookSchema.safeParse({ status: 'firing', alerts: [alert({ runbook: 'r'.repeat(1025) })] });
    expect(firstIssue(long)).toBe(
      'alerts.0.labels.runbook: label runbook must be at most 1024 characters (it has 1025)'
    );
    const free = grafanaWebhookSchema.parse({
      status: 'firing',
      alerts: [alert({ query: 'a\\\nb'.repeat(100), site: 'hosp-01' })],
    });
    expect(free.alerts[0].labels.query).toBe('a\\\nb'.repeat(100));
  });

  it('When a request holds no alerts or more than 1000, then it is refused saying how to split it', () => {
    expect(firstIssue(grafanaWebhookSchema.safeParse({ status: 'firing', alerts: [] }))).toBe(
      'alerts: alerts must hold at least one alert'
    );
    const many = Array.from({ length: 1001 }, (_, i) => alert({ alertname: `a${i}` }));
    expect(firstIssue(grafanaWebhookSchema.safeParse({ status: 'firing', alerts: many }))).toBe(
      'alerts: at most 1000 alerts per request: set max_alerts on the contact point'
    );
    expect(grafanaWebhookSchema.safeParse({ status: 'firing', alerts: many.slice(0, 1000) }).success).toBe(true);
  });
});

import { z } from 'zod';
import { inventorySchema } from './inventory';
import { plural } from './plural';
import { problemDefinitionSchema } from './problems';
import { checkInput, describeValue, type InputWording } from './refusals';
import { eventsQuerySchema } from './schemas';
import { ticketHistoryRowSchema } from './simulation';
import {
  commentRequestSchema,
  complaintRequestSchema,
  feedbackRequestSchema,
  grafanaWebhookSchema,
  ticketsQuerySchema,
  ticketUpdateSchema,
} from './tickets';

const NOW = Date.UTC(2024, 2, 5, 12);
const BODY: InputWording = { subject: 'the request body' };
const QUERY: InputWording = { subject: 'the query string', member: 'parameter' };

/** The first refusal, as the API's 400 carries it. */
function refusal(schema: z.ZodType, input: unknown, wording: InputWording = BODY): string | undefined {
  const result = checkInput(schema, input, wording);
  return result.success ? undefined : result.message;
}

const problem = {
  name: 'freezer-warm',
  event: { kind: 'tickets', class: 'power' },
  horizon: '2h',
  variables: { include: ['freezer.*'] },
  training: { from: '2026-01-01T00:00:00Z', to: '2026-01-21T00:00:00Z' },
  validation: { from: '2026-01-21T00:00:00Z', to: '2026-01-28T00:00:00Z' },
  department: 'facilities',
};

describe('checkInput: zod’s own refusals as sentences naming the field', () => {
  it('When a value is outside a closed list, then the sentence lists the accepted values and what was given', () => {
    expect(refusal(ticketUpdateSchema(), { priority: 'P7' })).toBe('priority must be one of P1, P2, P3, P4 (got "P7")');
    expect(refusal(ticketUpdateSchema(), { priority: 3 })).toBe('priority must be one of P1, P2, P3, P4 (got 3)');
    expect(refusal(ticketsQuerySchema(NOW), { priority: 'P1,P7' }, QUERY)).toBe(
      'priority must be one of P1, P2, P3, P4 (got "P7")'
    );
  });

  it('When a long value is outside the list, then its length is said instead of the value', () => {
    expect(refusal(ticketUpdateSchema(), { eventClass: 'x'.repeat(100) })).toBe(
      'eventClass must be one of power, network, hardware, software, security, environment, informational (got a string of 100 characters)'
    );
  });

  it('When a value has the wrong type, then the sentence says the type taken and the kind given', () => {
    expect(refusal(commentRequestSchema, { text: 5 })).toBe('text must be a string (got the number 5)');
    expect(refusal(ticketUpdateSchema(), { version: '3', status: 'open' })).toBe(
      'version must be a number (got the string "3")'
    );
    expect(refusal(grafanaWebhookSchema, { status: 'firing', alerts: 'none' })).toBe(
      'alerts must be a list (got the string "none")'
    );
    expect(refusal(problemDefinitionSchema, { ...problem, minEvents: 2.5 })).toBe(
      'minEvents must be a whole number (got the number 2.5)'
    );
  });

  it('When a required field is missing, then it is named as required with what it takes', () => {
    expect(refusal(commentRequestSchema, {})).toBe('text is required and must be a string');
    expect(refusal(feedbackRequestSchema, {})).toBe('verdict is required and must be one of valid, invalid, avoided');
  });

  it('When a text or a list is too long or too short, then the sentence gives the limit and the size', () => {
    expect(refusal(complaintRequestSchema, { text: 'x'.repeat(5001) })).toBe(
      'text must be at most 5000 characters (it has 5001)'
    );
    expect(refusal(commentRequestSchema, { text: '   ' })).toBe('text must not be empty');
    expect(
      refusal(grafanaWebhookSchema, {
        status: 'firing',
        alerts: [{ status: 'firing', labels: {}, startsAt: 'now', fingerprint: 'f'.repeat(129) }],
      })
    ).toBe('alerts.0.fingerprint must be at most 128 characters (it has 129)');
    expect(refusal(problemDefinitionSchema, { ...problem, threshold: { policy: 'fixed', probability: 1 } })).toBe(
      'threshold.probability must be less than 1 (got 1)'
    );
    expect(refusal(ticketUpdateSchema(), { status: 'open', version: -1 })).toBe('version must be at least 0 (got -1)');
  });

  it('When a text is not in its format, then the sentence names the format with an example', () => {
    expect(refusal(ticketHistoryRowSchema, { id: 'T-1', opened_at: 'yesterday' }, { subject: 'the row' })).toBe(
      'opened_at must be an ISO 8601 date-time such as 2026-01-01T00:00:00Z (got "yesterday")'
    );
  });

  it('When a key is unknown, then the sentence names it and the keys taken, as fields of a body or parameters of a query', () => {
    expect(refusal(ticketUpdateSchema(), { priority: 'P1', colour: 'red' })).toBe(
      'the request body has no field colour (it takes version, status, assignee, eventClass, department, priority, comment)'
    );
    expect(refusal(eventsQuerySchema(NOW), { stauts: 'open' }, QUERY)).toBe(
      'the query string has no parameter stauts (it takes from, to, class, decision, host, site, department, limit)'
    );
    expect(refusal(commentRequestSchema, { text: 'x', a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 })).toBe(
      'the request body has no fields a, b, c, d, e and 1 more (it takes text)'
    );
    expect(
      refusal(problemDefinitionSchema, { ...problem, event: { kind: 'tickets', class: 'power', when: 'x' } })
    ).toBe('event has no field when (it takes kind, class)');
  });

  it('When a key sent by the caller is long or odd, then it is shortened and quoted, never repeated whole', () => {
    const message = refusal(commentRequestSchema, { text: 'x', ['k'.repeat(10_000)]: 1 }) ?? '';
    expect(message).toBe(`the request body has no field "${'k'.repeat(64)}…" (it takes text)`);
    expect(refusal(problemDefinitionSchema, { ...problem, entity: { where: { '': 'plc' } } })).toBe(
      'entity.where."" is not an accepted key: the key must not be empty'
    );
  });

  it('When a value fits none of a union’s forms, then the sentence lists them; a discriminator lists its values', () => {
    expect(refusal(eventsQuerySchema(NOW), { from: true }, QUERY)).toBe('from must be a string or a number (got true)');
    expect(refusal(problemDefinitionSchema, { ...problem, threshold: { policy: 'best' } })).toBe(
      'threshold.policy must be one of fixed, target_precision (got "best")'
    );
    expect(refusal(problemDefinitionSchema, { ...problem, event: { measurement: 'freezer' } })).toBe(
      'event.kind is required and must be one of threshold, tickets, log_template'
    );
  });

  it('When the input as a whole is refused, then the subject names it', () => {
    expect(refusal(ticketUpdateSchema(), [1, 2])).toBe('the request body must be an object (got a list of 2 items)');
    expect(refusal(commentRequestSchema, null)).toBe('the request body must be an object (got null)');
    expect(refusal(inventorySchema, 'sites', { subject: 'the inventory' })).toBe(
      'the inventory must be an object (got the string "sites")'
    );
  });
});

describe('checkInput: a schema’s own messages', () => {
  it('When a message ends a sentence (must …), then the field is put in front of it, once', () => {
    expect(refusal(complaintRequestSchema, { text: 'UPS on battery', site: 'hosp-01\\' })).toBe(
      'site must not end with a backslash'
    );
    expect(refusal(ticketsQuerySchema(NOW), { status: 'open,,closed' }, QUERY)).toBe(
      'status must be one value or a comma-separated list of values, without an empty one'
    );
    expect(refusal(problemDefinitionSchema, { ...problem, horizon: 'soon' })).toBe(
      'horizon must be a positive duration such as 30s, 5m, 2h or 7d'
    );
  });

  it('When a message already starts with its field, or concerns the whole input, then it stands as written', () => {
    expect(refusal(ticketsQuerySchema(NOW), { from: '2000', to: '1000' }, QUERY)).toBe('from must not be after to');
    expect(refusal(ticketUpdateSchema(), { comment: 'only this' })).toMatch(/^nothing to change: give status, /);
  });

  it('When a message is a sentence of its own about a field, then the field and a colon come first', () => {
    const result = checkInput(inventorySchema, {
      sites: [{ id: 'hosp-01', name: 'St. Mary', kind: 'hospital', criticality: 5 }],
      devices: [{ host: 'a', site: 'nowhere', kind: 'server' }],
    });
    expect(result).toMatchObject({ success: false, message: 'devices.0.site: unknown site nowhere' });
  });

  it('When several fields are wrong, then each has its sentence, the first one first', () => {
    const result = checkInput(feedbackRequestSchema, { verdict: 'meh', comment: 7 }, BODY);
    expect(result).toEqual({
      success: false,
      message: 'verdict must be one of valid, invalid, avoided (got "meh")',
      messages: [
        'verdict must be one of valid, invalid, avoided (got "meh")',
        'comment must be a string (got the number 7)',
      ],
    });
  });
});

describe('describeValue and plural', () => {
  it('When a value is shown, then it is short, printable and says its kind when asked', () => {
    expect(describeValue('P7')).toBe('"P7"');
    expect(describeValue('3', { kind: true })).toBe('the string "3"');
    expect(describeValue('a\nb')).toBe('"a\\nb"');
    expect(describeValue('x'.repeat(41))).toBe('a string of 41 characters');
    expect(describeValue('')).toBe('an empty string');
    expect(describeValue(undefined)).toBe('nothing');
    expect(describeValue([1])).toBe('a list of 1 item');
    expect(describeValue({ a: 1 })).toBe('an object');
  });

  it('When a count is one, then its noun is singular; otherwise plural, irregular ones as given', () => {
    expect(plural(1, 'row')).toBe('1 row');
    expect(plural(0, 'row')).toBe('0 rows');
    expect(plural(2, 'series', { plural: 'series' })).toBe('2 series');
    expect(plural(1024, 'line', { shown: '1,024' })).toBe('1,024 lines');
    expect(plural(1, 'event', { shown: '0/1' })).toBe('0/1 event');
  });
});

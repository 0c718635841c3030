import { durationMs, matchesVariable, problemDefinitionSchema } from './problems';
import { checkInput } from './refusals';

const valid = {
  name: 'freezer-warm',
  event: { kind: 'threshold', measurement: 'freezer', field: 'temperature_c', operator: '>', value: -18, for: '10m' },
  horizon: '2h',
  interval: '5m',
  variables: {
    include: ['freezer.*'],
    exclude: ['freezer.temperature_c'],
    controllable: ['freezer.setpoint_c'],
    bounds: { 'freezer.setpoint_c': { min: -30, max: -20 } },
  },
  windows: ['30m', '2h'],
  training: { from: '2026-01-01T00:00:00Z', to: '2026-01-21T00:00:00Z' },
  validation: { from: '2026-01-21T00:00:00Z', to: '2026-01-28T00:00:00Z' },
  department: 'facilities',
};

/** A copy of `valid` with `change` applied to the object at `path` (undefined removes the key). */
function variant(path: string[], key: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(valid) as Record<string, unknown>;
  let at = copy;
  for (const p of path) at = at[p] as Record<string, unknown>;
  if (value === undefined) delete at[key];
  else at[key] = value;
  return copy;
}

describe('problemDefinitionSchema', () => {
  it('When a definition is complete, then it is accepted with the defaults filled in', () => {
    const parsed = problemDefinitionSchema.parse(valid);
    expect(parsed.candidates).toEqual(['gbt', 'logistic', 'random_forest']);
    expect(parsed.metric).toBe('pr_auc');
    expect(parsed.threshold).toEqual({ policy: 'target_precision', precision: 0.7 });
    expect(parsed.entity.tag).toBe('host');
    expect(parsed.priority).toBe('P3');
  });

  const malformed: Array<[string, Record<string, unknown>, string]> = [
    [
      'a name with capitals',
      variant([], 'name', 'Freezer'),
      'name must be 1–64 lower-case letters, digits, _ or -, starting with a letter or digit',
    ],
    [
      'no event kind',
      variant([], 'event', { measurement: 'freezer' }),
      'event.kind is required and must be one of threshold, tickets, log_template',
    ],
    [
      'an unknown operator',
      variant(['event'], 'operator', '=='),
      'event.operator must be one of >, >=, <, <= (got "==")',
    ],
    [
      'a threshold that is not a number',
      variant(['event'], 'value', 'cold'),
      'event.value must be a number (got the string "cold")',
    ],
    [
      'an unknown ticket class',
      variant([], 'event', { kind: 'tickets', class: 'weather' }),
      'event.class must be one of power, network, hardware, software, security, environment, informational (got "weather")',
    ],
    [
      'an empty log template',
      variant([], 'event', { kind: 'log_template', template: ' ' }),
      'event.template must not be empty',
    ],
    [
      'a horizon that is not a duration',
      variant([], 'horizon', 'soon'),
      'horizon must be a positive duration such as 30s, 5m, 2h or 7d',
    ],
    [
      'a horizon shorter than the interval',
      variant([], 'horizon', '1m'),
      'horizon must not be shorter than the interval (5m)',
    ],
    [
      'a window shorter than the interval',
      variant([], 'windows', ['1m']),
      'windows.0 must not be shorter than the interval (5m)',
    ],
    [
      'no input variable',
      variant(['variables'], 'include', []),
      'variables.include must list at least one measurement.field',
    ],
    [
      'an input without a field',
      variant(['variables'], 'include', ['freezer']),
      'variables.include.0 must be measurement.field (either part may use * as a wildcard)',
    ],
    [
      'a controllable pattern',
      variant(['variables'], 'controllable', ['freezer.*']),
      'variables.controllable.0 must name one series, without *',
    ],
    [
      'a controllable variable that is not an input',
      variant(['variables'], 'controllable', ['plant.valve_pct']),
      'variables.controllable.0 must be an input: variables.include must select plant.valve_pct and variables.exclude must not',
    ],
    [
      'a controllable variable that is excluded',
      variant(['variables'], 'controllable', ['freezer.temperature_c']),
      'variables.controllable.0 must be an input: variables.include must select freezer.temperature_c and variables.exclude must not',
    ],
    [
      'bounds of a variable that is not controllable',
      variant(['variables', 'bounds'], 'freezer.door_open_count', {}),
      'variables.bounds."freezer.door_open_count" must name a variable listed in variables.controllable',
    ],
    [
      'bounds upside down',
      variant(['variables'], 'bounds', { 'freezer.setpoint_c': { min: 0, max: -1 } }),
      'variables.bounds."freezer.setpoint_c".max must not be below min',
    ],
    [
      'a training period that is not a date',
      variant(['training'], 'from', 'last monday'),
      'training.from must be an ISO 8601 date-time such as 2026-01-01T00:00:00Z',
    ],
    [
      'a training period ending before it starts',
      variant(['training'], 'to', '2025-12-01T00:00:00Z'),
      'training.to must be after from',
    ],
    [
      'overlapping training and validation periods',
      variant(['validation'], 'from', '2026-01-20T00:00:00Z'),
      'validation.from must not be before training.to: the periods overlap (validation comes after training)',
    ],
    [
      'an unknown candidate',
      variant([], 'candidates', ['svm']),
      'candidates.0 must be one of gbt, logistic, random_forest (got "svm")',
    ],
    ['a candidate twice', variant([], 'candidates', ['gbt', 'gbt']), 'candidates must not list a candidate twice'],
    ['an unknown metric', variant([], 'metric', 'accuracy'), 'metric must be one of pr_auc, roc_auc (got "accuracy")'],
    [
      'a fixed probability of 1',
      variant([], 'threshold', { policy: 'fixed', probability: 1 }),
      'threshold.probability must be less than 1 (got 1)',
    ],
    [
      'an unknown threshold policy',
      variant([], 'threshold', { policy: 'best' }),
      'threshold.policy must be one of fixed, target_precision (got "best")',
    ],
    [
      'no department',
      variant([], 'department', undefined),
      'department is required and must be one of field_technicians, network_ops, it_ops, security, facilities, maintenance',
    ],
    ['an unknown priority', variant([], 'priority', 'P9'), 'priority must be one of P1, P2, P3, P4 (got "P9")'],
    [
      'an unknown key',
      variant([], 'owner', 'me'),
      'the definition has no field owner (it takes name, description, event, entity, horizon, interval, variables, windows, training, validation, candidates, metric, threshold, minEvents, department, priority)',
    ],
  ];

  it.each(malformed)('When a definition has %s, then it is refused naming the field', (_, input, expected) => {
    const result = checkInput(problemDefinitionSchema, input, { subject: 'the definition' });
    expect(result).toMatchObject({ success: false, message: expected });
  });
});

describe('durationMs and matchesVariable', () => {
  it('When durations and patterns are read, then units and wildcards mean what they say', () => {
    expect(durationMs('2h')).toBe(7_200_000);
    expect(durationMs('90s')).toBe(90_000);
    expect(durationMs('2 hours')).toBeUndefined();
    expect(matchesVariable('freezer.*', 'freezer.door_open_count')).toBe(true);
    expect(matchesVariable('*.temperature_c', 'sensors.temperature_c')).toBe(true);
    expect(matchesVariable('freezer.temp', 'freezer.temperature_c')).toBe(false);
    expect(matchesVariable('a.b(c)', 'a.b(c)')).toBe(true);
  });
});

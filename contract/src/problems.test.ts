import { durationMs, matchesVariable, problemDefinitionSchema, problemIssueMessage } from './problems';

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
    ['a name with capitals', variant([], 'name', 'Freezer'), 'name:'],
    ['no event kind', variant([], 'event', { measurement: 'freezer' }), 'event'],
    ['an unknown operator', variant(['event'], 'operator', '=='), 'event.operator:'],
    ['a threshold that is not a number', variant(['event'], 'value', 'cold'), 'event.value:'],
    ['an unknown ticket class', variant([], 'event', { kind: 'tickets', class: 'weather' }), 'event.class:'],
    ['an empty log template', variant([], 'event', { kind: 'log_template', template: ' ' }), 'event.template:'],
    ['a horizon that is not a duration', variant([], 'horizon', 'soon'), 'horizon:'],
    [
      'a horizon shorter than the interval',
      variant([], 'horizon', '1m'),
      'horizon: must not be shorter than the interval',
    ],
    ['a window shorter than the interval', variant([], 'windows', ['1m']), 'windows.0:'],
    ['no input variable', variant(['variables'], 'include', []), 'variables.include:'],
    ['an input without a field', variant(['variables'], 'include', ['freezer']), 'variables.include.0:'],
    ['a controllable pattern', variant(['variables'], 'controllable', ['freezer.*']), 'variables.controllable.0:'],
    [
      'a controllable variable that is not an input',
      variant(['variables'], 'controllable', ['plant.valve_pct']),
      'variables.controllable.0: plant.valve_pct is not an input',
    ],
    [
      'a controllable variable that is excluded',
      variant(['variables'], 'controllable', ['freezer.temperature_c']),
      'variables.controllable.0:',
    ],
    [
      'bounds of a variable that is not controllable',
      variant(['variables', 'bounds'], 'freezer.door_open_count', {}),
      'variables.bounds.freezer.door_open_count:',
    ],
    [
      'bounds upside down',
      variant(['variables'], 'bounds', { 'freezer.setpoint_c': { min: 0, max: -1 } }),
      'variables.bounds.freezer.setpoint_c.max:',
    ],
    ['a training period that is not a date', variant(['training'], 'from', 'last monday'), 'training.from:'],
    ['a training period ending before it starts', variant(['training'], 'to', '2025-12-01T00:00:00Z'), 'training.to:'],
    [
      'overlapping training and validation periods',
      variant(['validation'], 'from', '2026-01-20T00:00:00Z'),
      'validation.from: must not be before training.to',
    ],
    ['an unknown candidate', variant([], 'candidates', ['svm']), 'candidates.0:'],
    ['a candidate twice', variant([], 'candidates', ['gbt', 'gbt']), 'candidates:'],
    ['an unknown metric', variant([], 'metric', 'accuracy'), 'metric:'],
    [
      'a fixed probability of 1',
      variant([], 'threshold', { policy: 'fixed', probability: 1 }),
      'threshold.probability:',
    ],
    ['an unknown threshold policy', variant([], 'threshold', { policy: 'best' }), 'threshold'],
    ['no department', variant([], 'department', undefined), 'department:'],
    ['an unknown priority', variant([], 'priority', 'P9'), 'priority:'],
    ['an unknown key', variant([], 'owner', 'me'), 'owner'],
  ];

  it.each(malformed)('When a definition has %s, then it is refused naming the field', (_, input, expected) => {
    const result = problemDefinitionSchema.safeParse(input);
    expect(result.success).toBe(false);
    if (!result.success) expect(problemIssueMessage(result.error)).toContain(expected);
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

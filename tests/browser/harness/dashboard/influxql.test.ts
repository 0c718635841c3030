import {
  influxSeriesToFrames,
  interpolateInfluxQl,
  type QueryScope,
  replaceVariables,
  variableQueryValue,
} from './influxql';

const SCOPE: QueryScope = {
  fromMs: 1_700_000_000_000,
  toMs: 1_700_021_600_000,
  interval: '20s',
  intervalMs: 20_000,
  variables: { site: '.*', host: '(hosp-01-ps-01|hotel-01-sw-01)' },
};

describe('interpolateInfluxQl', () => {
  it('When a dashboard query uses the time filter, the interval and variables, then each becomes a concrete value', () => {
    const query =
      'SELECT mean("power_w") FROM "sensors" WHERE "site" =~ /^$site$/ AND "host" =~ /^${host}$/ AND $timeFilter GROUP BY time($__interval), "host" fill(none)';

    expect(interpolateInfluxQl(query, SCOPE)).toBe(
      'SELECT mean("power_w") FROM "sensors" WHERE "site" =~ /^.*$/ AND "host" =~ /^(hosp-01-ps-01|hotel-01-sw-01)$/ AND time >= 1700000000000ms and time <= 1700021600000ms GROUP BY time(20s), "host" fill(none)'
    );
  });

  it('When a query names a variable the dashboard does not have, then it is left as written for InfluxDB to refuse', () => {
    expect(interpolateInfluxQl('SELECT * FROM x WHERE "a" =~ /^$nope$/', SCOPE)).toBe(
      'SELECT * FROM x WHERE "a" =~ /^$nope$/'
    );
  });
});

describe('variableQueryValue', () => {
  const multi = { multi: true, includeAll: true, options: ['a.b', 'c'] };

  it('When a multi-value variable has All selected, then it stands for its All value, or for every option', () => {
    expect(variableQueryValue({ ...multi, selected: ['$__all'], allValue: '.*' })).toBe('.*');
    expect(variableQueryValue({ ...multi, selected: ['$__all'] })).toBe('(a\\.b|c)');
  });

  it('When values are chosen, then they are regex-escaped and joined for =~ /^$var$/', () => {
    expect(variableQueryValue({ ...multi, selected: ['hosp-01', 'fact/01'] })).toBe('(hosp-01|fact\\/01)');
    expect(variableQueryValue({ ...multi, selected: ['a.b'] })).toBe('a\\.b');
  });

  it('When the variable holds one value only, then it is used as it is (inside quotes, not a regex)', () => {
    expect(variableQueryValue({ selected: ['sensors.power_w'], options: [] })).toBe('sensors.power_w');
  });
});

describe('replaceVariables', () => {
  it('replaces the variables of a panel title and leaves other dollar signs alone', () => {
    expect(
      replaceVariables('Anomaly band: $metric (${host}, [[site]]) costs $5', { metric: 'cpu', host: 'All', site: 'x' })
    ).toBe('Anomaly band: cpu (All, x) costs $5');
  });
});

describe('influxSeriesToFrames', () => {
  const series = [
    {
      name: 'aiops_tickets',
      tags: { department: 'it_ops' },
      columns: ['time', 'count'],
      values: [
        [1, 3],
        [2, 0],
      ],
    },
    {
      name: 'aiops_tickets',
      tags: { department: 'security' },
      columns: ['time', 'count'],
      values: [
        [1, 1],
        [2, 2],
      ],
    },
  ];

  it('When the target is a time series with an alias, then each series is a Time/Value frame named by the alias', () => {
    const frames = influxSeriesToFrames(series, { refId: 'B', alias: '$tag_department actual' });

    expect(frames.map((frame) => frame.name)).toEqual(['it_ops actual', 'security actual']);
    expect(frames[1].fields).toEqual([
      { name: 'Time', type: 'time', values: [1, 2] },
      {
        name: 'Value',
        type: 'number',
        labels: { department: 'security' },
        config: { displayNameFromDS: 'security actual' },
        values: [1, 2],
      },
    ]);
  });

  it('When there is no alias, then the name is measurement.column with the tags, as Grafana writes it', () => {
    const [frame] = influxSeriesToFrames(series, { refId: 'A' });

    expect(frame.name).toBe('aiops_tickets.count {department: it_ops}');
  });

  it('When the target is a table, then one frame holds Time, the GROUP BY tags and the columns of every series', () => {
    const [frame] = influxSeriesToFrames(
      [
        {
          name: 'aiops_models',
          tags: { model: 'priority' },
          columns: ['time', 'f1', 'note'],
          values: [[5, 0.8, 'ok']],
        },
        { name: 'aiops_models', tags: { model: 'class' }, columns: ['time', 'f1', 'note'], values: [[6, 0.9, null]] },
      ],
      { refId: 'A', resultFormat: 'table' }
    );

    expect(frame.fields?.map((field) => [field.name, field.type, field.values])).toEqual([
      ['Time', 'time', [5, 6]],
      ['model', 'string', ['priority', 'class']],
      ['f1', 'number', [0.8, 0.9]],
      ['note', 'string', ['ok', null]],
    ]);
  });

  it('When InfluxDB found nothing, then there is no frame (the panel says No data)', () => {
    expect(influxSeriesToFrames([], { refId: 'A', resultFormat: 'table' })).toEqual([]);
    expect(influxSeriesToFrames([], { refId: 'A' })).toEqual([]);
  });
});

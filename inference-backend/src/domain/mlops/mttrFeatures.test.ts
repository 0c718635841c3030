import {
  mttrDepartmentColumns,
  mttrFeatures,
  mttrFeatureSchema,
  MTTR_FEATURE_VERSION,
  OTHER_DEPARTMENT_COLUMN,
} from './mttrFeatures';
import type { MttrTicketInput } from './mttrFeatures';

const ticket: MttrTicketInput = {
  openedAt: '2024-03-15T19:00:00Z',
  eventClass: 'network',
  department: 'network_ops',
  priority: 'P3',
  siteKind: 'hotel',
  deviceKind: 'router',
  fromIncident: false,
};

describe('MTTR features', () => {
  const schema = mttrFeatureSchema();
  const byName = (input: MttrTicketInput) => {
    const values = mttrFeatures(schema, input);
    return Object.fromEntries(schema.features.map((spec, i) => [spec.name, values[i]]));
  };

  it('When a known ticket is featurised, then its categories are one-hot and its calendar is right', () => {
    const features = byName(ticket);

    expect(features['class=network']).toBe(1);
    expect(features['class=power']).toBe(0);
    expect(features['department=network_ops']).toBe(1);
    expect(features['priority=P3']).toBe(1);
    expect(features['site_kind=hotel']).toBe(1);
    expect(features['device_kind=router']).toBe(1);
    expect(features).toMatchObject({
      priority_rank: 3,
      hour_of_day: 19,
      day_of_week: 5,
      is_weekend: 0,
      is_holiday: 0,
      month: 2,
      is_winter: 0,
      is_business_hours: 0,
      hours_to_business_start: 61,
      from_incident: 0,
    });
    expect(features[OTHER_DEPARTMENT_COLUMN]).toBe(0);
    // Exactly one value per category group is set.
    const oneHot = schema.features
      .filter((s) => s.kind !== 'numeric' && s.kind !== 'flag')
      .map((s) => features[s.name]);
    expect(oneHot.reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('When the history has own departments, then the frequent ones get a column after the built-in ones and the rare ones none', () => {
    const rows = [
      ...Array.from({ length: 20 }, () => ({ department: 'noc_tier2' })),
      ...Array.from({ length: 20 }, () => ({ department: 'facilities' })),
      ...Array.from({ length: 20 }, () => ({ department: 'network_ops' })),
      ...Array.from({ length: 4 }, () => ({ department: 'it_ops' })),
      ...Array.from({ length: 4 }, () => ({ department: 'helpdesk' })),
      ...Array.from({ length: 15 }, () => ({ department: 'cabling' })),
    ];

    expect(mttrDepartmentColumns(rows, 15)).toEqual(['network_ops', 'facilities', 'cabling', 'noc_tier2']);
  });

  it('When a ticket’s department has no column of its own, then it sets the "other" column, not a built-in one', () => {
    const own = mttrFeatureSchema(['network_ops', 'noc_tier2']);
    const features = (department: string) => {
      const values = mttrFeatures(own, { ...ticket, department });
      return Object.fromEntries(own.features.map((spec, i) => [spec.name, values[i]]));
    };

    expect(features('noc_tier2')).toMatchObject({ 'department=noc_tier2': 1, [OTHER_DEPARTMENT_COLUMN]: 0 });
    // A built-in department the history had too few rows of is "other" too.
    for (const department of ['noc_tier3', 'facilities']) {
      expect(features(department)).toMatchObject({
        'department=noc_tier2': 0,
        'department=network_ops': 0,
        [OTHER_DEPARTMENT_COLUMN]: 1,
      });
    }
    expect(own.features.filter((s) => s.name.startsWith('department='))).toHaveLength(3);
  });

  it('When a model stored a version-1 schema (six departments, no "other"), then its columns are built as listed', () => {
    const v1 = {
      ...schema,
      version: 'mttr-features/1',
      features: schema.features.filter((s) => s.name !== OTHER_DEPARTMENT_COLUMN),
    };
    const values = (department: string) => Array.from(mttrFeatures(v1, { ...ticket, department }));

    expect(values('noc_tier2')).toHaveLength(v1.features.length);
    // An own department leaves the department group at zero, as that code did.
    const departmentColumns = v1.features.flatMap((s, i) => (s.name.startsWith('department=') ? [i] : []));
    expect(departmentColumns).toHaveLength(6);
    expect(departmentColumns.map((i) => values('noc_tier2')[i])).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('When the schema is built, then it is versioned and names every column once', () => {
    expect(schema.version).toBe(MTTR_FEATURE_VERSION);
    expect(new Set(schema.features.map((s) => s.name)).size).toBe(schema.features.length);
    expect(schema.holidaysMmDd).toContain('12-25');
  });

  it('When a model stored a schema of another version, then featurising refuses instead of feeding wrong columns', () => {
    expect(() => mttrFeatures({ ...schema, version: 'mttr-features/0' }, ticket)).toThrow(/not served/);
  });
});

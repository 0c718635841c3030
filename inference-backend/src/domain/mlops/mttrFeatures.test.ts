import { mttrFeatures, mttrFeatureSchema, MTTR_FEATURE_VERSION } from './mttrFeatures';
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
    // Exactly one value per category group is set.
    const oneHot = schema.features.filter((s) => s.kind === 'one_hot').map((s) => features[s.name]);
    expect(oneHot.reduce((a, b) => a + b, 0)).toBe(5);
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

import { FieldType } from '@grafana/data';

import { eventsToFrame } from './eventsToFrame';
import type { ClassifiedEvent } from '@nocai/contract';

const UPS_ON_BATTERY: ClassifiedEvent = {
  timeUs: 1_767_225_600_123_456,
  hostname: 'ups-03',
  appname: 'upsd',
  facility: 'daemon',
  severity: 'crit',
  site: 'hospital-north',
  siteKind: 'hospital',
  deviceKind: 'ups',
  eventClass: 'power',
  decision: 'alert',
  templateId: 't-17',
  template: 'UPS <*> on battery',
  message: 'UPS ups-03 on battery',
  confidence: 0.93,
  modelVersion: 'events-2026.01.1',
};

describe('eventsToFrame', () => {
  it('converts microsecond timestamps to the milliseconds Grafana expects', () => {
    const frame = eventsToFrame([UPS_ON_BATTERY], 'A');

    const time = frame.fields.find((field) => field.name === 'time');
    expect(time?.type).toBe(FieldType.time);
    expect(time?.values).toEqual([1_767_225_600_123.456]);
  });

  it('keeps the API field names and types so panels can read columns by name', () => {
    const frame = eventsToFrame([UPS_ON_BATTERY], 'B');

    expect(frame.refId).toBe('B');
    expect(frame.length).toBe(1);
    const byName = Object.fromEntries(frame.fields.map((field) => [field.name, field]));
    expect(byName.hostname.values).toEqual(['ups-03']);
    expect(byName.eventClass.values).toEqual(['power']);
    expect(byName.decision.values).toEqual(['alert']);
    expect(byName.message.type).toBe(FieldType.string);
    expect(byName.modelVersion.values).toEqual(['events-2026.01.1']);
    expect(byName.confidence.type).toBe(FieldType.number);
    expect(byName.confidence.values).toEqual([0.93]);
    expect(byName.confidence.config.unit).toBe('percentunit');
  });

  it('returns every field of ClassifiedEvent, time first', () => {
    const frame = eventsToFrame([UPS_ON_BATTERY], 'A');

    expect(frame.fields[0].name).toBe('time');
    expect(frame.fields.map((field) => field.name).sort()).toEqual(
      ['time', ...Object.keys(UPS_ON_BATTERY).filter((key) => key !== 'timeUs')].sort()
    );
  });

  it('returns an empty frame with all columns when there are no events', () => {
    const frame = eventsToFrame([], 'A');

    expect(frame.length).toBe(0);
    expect(frame.fields.length).toBe(15);
    expect(frame.fields.every((field) => field.values.length === 0)).toBe(true);
  });
});

import { calendarFeaturesOf } from './calendarFeatures';

const at = (iso: string) => calendarFeaturesOf(Date.parse(iso));

describe('calendar features', () => {
  it('When a ticket is opened on a Tuesday afternoon, then it is business hours with no wait', () => {
    const features = at('2024-03-12T14:30:00Z');

    expect(features).toMatchObject({ dayOfWeek: 2, hourOfDay: 14.5, isWeekend: false, isBusinessHours: true });
    expect(features.hoursToBusinessStart).toBe(0);
  });

  it('When a ticket is opened on a Friday evening, then staff are next in on Monday at 08:00', () => {
    const features = at('2024-03-15T19:00:00Z');

    expect(features.isBusinessHours).toBe(false);
    expect(features.hoursToBusinessStart).toBe(61);
  });

  it('When a ticket is opened on Christmas Eve night, then the wait skips both Christmas holidays', () => {
    const features = at('2024-12-24T22:00:00Z');

    // Wednesday 25 and Thursday 26 are holidays: the next staffed morning is Friday the 27th.
    expect(features.hoursToBusinessStart).toBe(58);
    expect(at('2024-12-25T10:00:00Z')).toMatchObject({ isHoliday: true, isBusinessHours: false, isWinter: true });
  });

  it('When the month is July, then it is summer and month 6', () => {
    expect(at('2024-07-20T10:00:00Z')).toMatchObject({ month: 6, isSummer: true, isWinter: false, isWeekend: true });
  });
});

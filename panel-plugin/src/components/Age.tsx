import React from 'react';
import type { TimeZone } from '@grafana/schema';

import { formatAge, formatTime } from '../triage/format';

/** What a component needs to show times: the current time for ages, the dashboard's time zone for instants. */
export interface Clock {
  nowMs: number;
  /** `browser` (Grafana's default: the viewer's own zone), `utc` or an IANA name, as the dashboard says. */
  timeZone: TimeZone;
}

interface Props {
  timeMs: number;
  clock: Clock;
  'data-testid'?: string;
}

/** "12 min ago", with the instant on the dashboard's clock in the tooltip and in machine form in `dateTime`. */
export function Age({ timeMs, clock, 'data-testid': testId }: Props) {
  return (
    <time dateTime={new Date(timeMs).toISOString()} title={formatTime(timeMs, clock.timeZone)} data-testid={testId}>
      {formatAge(clock.nowMs - timeMs)}
    </time>
  );
}

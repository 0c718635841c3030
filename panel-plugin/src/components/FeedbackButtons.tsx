import React from 'react';
import type { FeedbackVerdict } from '@nocai/contract';
import { Button, Stack } from '@grafana/ui';

import { testIds } from '../testIds';

/** Button label per verdict: what the operator says about the ticket. */
export const VERDICT_ACTIONS: ReadonlyArray<{ verdict: FeedbackVerdict; label: string; tooltip: string }> = [
  { verdict: 'valid', label: 'Validate', tooltip: 'The ticket is real and correctly routed' },
  { verdict: 'invalid', label: 'Invalidate', tooltip: 'Noise, a false alarm or wrongly routed' },
  { verdict: 'avoided', label: 'Avoided', tooltip: 'Real, and acted on before it became an outage' },
];

interface Props {
  ticketId: string;
  current?: string;
  pending: boolean;
  onVerdict: (verdict: FeedbackVerdict) => void;
}

export function FeedbackButtons({ ticketId, current, pending, onVerdict }: Props) {
  return (
    <Stack gap={0.5} data-testid={testIds.panel.feedbackButtons}>
      {VERDICT_ACTIONS.map(({ verdict, label, tooltip }) => (
        <Button
          key={verdict}
          size="sm"
          variant={current === verdict ? 'primary' : 'secondary'}
          fill={current === verdict ? 'solid' : 'outline'}
          aria-pressed={current === verdict}
          aria-label={`${label} ${ticketId}`}
          tooltip={tooltip}
          disabled={pending}
          onClick={() => onVerdict(verdict)}
        >
          {label}
        </Button>
      ))}
    </Stack>
  );
}

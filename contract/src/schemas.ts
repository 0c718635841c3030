import { z } from 'zod';
import { DECISIONS, EVENT_CLASSES } from './vocabulary';

const epochMs = z.coerce.number().int('must be an integer of milliseconds since the epoch').nonnegative();

/** GET /api/events query string. `from`/`to` are epoch milliseconds, as Grafana's time range gives them. */
export const eventsQuerySchema = z
  .object({
    from: epochMs.optional(),
    to: epochMs.optional(),
    class: z.enum(EVENT_CLASSES).optional(),
    decision: z.enum(DECISIONS).optional(),
    host: z.string().min(1).max(256).optional(),
    site: z.string().min(1).max(256).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'from must not be after to',
    path: ['from'],
  });

export type EventsQuery = z.infer<typeof eventsQuerySchema>;

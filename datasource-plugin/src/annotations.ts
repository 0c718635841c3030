import type { AnnotationEvent, DataFrame, Field } from '@grafana/data';
import { TICKET_SERIES } from '@nocai/contract/dist/series';

const NAMES = TICKET_SERIES.fields;
const TAGS = TICKET_SERIES.tags;

/**
 * Tickets as dashboard annotations (incidents): a region from opening to resolution, or a point while the
 * ticket is still open. Tags are the priority and the department, so a dashboard can show only P1 incidents
 * or only those of one team with Grafana's annotation tag filter.
 */
export function ticketFramesToAnnotations(frames: readonly DataFrame[]): AnnotationEvent[] {
  return frames.flatMap((frame) => {
    const field = (name: string): Field | undefined => frame.fields.find((candidate) => candidate.name === name);
    const time = field('time');
    const ticketId = field(NAMES.ticketId);
    if (!time || !ticketId) {
      return [];
    }
    const title = field(NAMES.title);
    const resolvedAt = field(NAMES.resolvedAtMs);
    const priority = field(TAGS.priority);
    const department = field(TAGS.department);
    const site = field(TAGS.site);
    const host = field(NAMES.host);
    return Array.from({ length: frame.length }, (_, index): AnnotationEvent => {
      const timeEnd = asNumber(resolvedAt?.values[index]);
      const place = [site?.values[index], host?.values[index]].filter(Boolean).join(' / ');
      return {
        id: String(ticketId.values[index]),
        time: asNumber(time.values[index]),
        timeEnd,
        isRegion: timeEnd !== undefined,
        title: `${ticketId.values[index]}: ${title?.values[index] ?? ''}`,
        text: place || undefined,
        tags: [priority?.values[index], department?.values[index]].filter(
          (tag): tag is string => typeof tag === 'string' && tag !== ''
        ),
      };
    });
  });
}

function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

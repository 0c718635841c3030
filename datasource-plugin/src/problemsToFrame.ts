import { createDataFrame, type DataFrame, FieldType } from '@grafana/data';
import type { SeriesPage, SeriesRow } from '@nocai/contract';
import { PROBLEM_SERIES } from '@nocai/contract/dist/outputSeries';

const TAGS = PROBLEM_SERIES.tags;
const FIELDS = PROBLEM_SERIES.fields;

/** The name of the frame that carries the model's alert threshold, drawn beside the probabilities. */
export const THRESHOLD_FRAME = 'threshold';

/**
 * A problem's probability series (`aiops_problems`, newest first as the backend pages it) as Grafana draws
 * it: one frame per entity, oldest first, whose `probability` field is labelled with the problem and the
 * entity (the legend shows the entity), and one frame with the model's threshold at each evaluated step, so
 * that the alert line moves when a retrained model brings another threshold.
 *
 * Frames are in entity order and the threshold comes last, so a panel's colours stay with their entity from
 * one refresh to the next. With no point in the range, the answer is the threshold frame alone, empty.
 */
export function problemProbabilityFrames(page: SeriesPage, refId: string): DataFrame[] {
  const rows = [...page.rows].sort((a, b) => a.timeMs - b.timeMs);
  const byEntity = new Map<string, SeriesRow[]>();
  for (const row of rows) {
    const entity = row.tags[TAGS.entity] ?? '';
    byEntity.set(entity, [...(byEntity.get(entity) ?? []), row]);
  }
  const entities = [...byEntity.keys()].sort((a, b) => a.localeCompare(b));
  const frames = entities.map((entity) => {
    const points = byEntity.get(entity) ?? [];
    const problem = String(points[0]?.tags[TAGS.problem] ?? '');
    return createDataFrame({
      refId,
      name: entity,
      fields: [
        { name: 'Time', type: FieldType.time, values: points.map((row) => row.timeMs) },
        {
          name: FIELDS.probability,
          type: FieldType.number,
          labels: { [TAGS.problem]: problem, [TAGS.entity]: entity },
          // A probability: a percentage on a fixed 0–1 axis, so the threshold line sits where it means.
          config: { unit: 'percentunit', min: 0, max: 1, displayNameFromDS: entity },
          values: points.map((row) => numberOrNull(row.fields[FIELDS.probability])),
        },
      ],
    });
  });
  return [...frames, thresholdFrame(rows, refId)];
}

/** One threshold per evaluated step: every entity of a step is scored by the same model. */
function thresholdFrame(rows: readonly SeriesRow[], refId: string): DataFrame {
  const byTime = new Map<number, number>();
  for (const row of rows) {
    const threshold = numberOrNull(row.fields[FIELDS.threshold]);
    if (threshold !== null) {
      byTime.set(row.timeMs, threshold);
    }
  }
  const times = [...byTime.keys()].sort((a, b) => a - b);
  return createDataFrame({
    refId,
    name: THRESHOLD_FRAME,
    fields: [
      { name: 'Time', type: FieldType.time, values: times },
      {
        name: FIELDS.threshold,
        type: FieldType.number,
        config: { unit: 'percentunit', min: 0, max: 1, displayNameFromDS: THRESHOLD_FRAME },
        values: times.map((time) => byTime.get(time) ?? null),
      },
    ],
  });
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

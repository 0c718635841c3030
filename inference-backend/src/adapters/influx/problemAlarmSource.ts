import { DEPARTMENTS, PRIORITIES, PROBLEM_SERIES } from '@nocai/contract';
import type { Department, Explanation, Priority } from '@nocai/contract';
import type { ProblemAlarmRecord } from '../../domain/problems/evidence';
import type { ProblemShap } from '../../domain/problems/explanation';
import type { InfluxClient } from './client';
import { quoteIdentifier, timeLiteralUs } from './influxql';

const P = PROBLEM_SERIES;

/** Reads the problem alerts the problem stage wrote (aiops_problems points with alert = true). */
export class ProblemAlarmSource {
  constructor(
    private readonly client: InfluxClient,
    private readonly database: string
  ) {}

  /** Alerts with fromUs < time ≤ toUs, oldest first. */
  async read(fromUs: number, toUs: number): Promise<ProblemAlarmRecord[]> {
    const f = P.fields;
    const t = P.tags;
    const columns = [
      f.probability,
      f.threshold,
      f.horizonHours,
      f.leadTimeHours,
      f.explanation,
      f.shap,
      f.recommendation,
      f.department,
      f.priority,
    ]
      .map(quoteIdentifier)
      .join(', ');
    const q =
      `SELECT ${columns} FROM ${quoteIdentifier(P.measurement)} ` +
      `WHERE ${quoteIdentifier(f.alert)} = true AND time > ${timeLiteralUs(fromUs)} AND time <= ${timeLiteralUs(toUs)} ` +
      `GROUP BY ${[t.problem, t.entity, t.modelVersion].map(quoteIdentifier).join(', ')}`;
    const out: ProblemAlarmRecord[] = [];
    for (const s of await this.client.query(this.database, q)) {
      for (const row of s.rows) {
        const department = String(row[f.department] ?? '');
        const priority = String(row[f.priority] ?? '');
        // A point of another writer (or a damaged one) is no evidence to route.
        if (
          !(DEPARTMENTS as readonly string[]).includes(department) ||
          !(PRIORITIES as readonly string[]).includes(priority)
        )
          continue;
        const lead = row[f.leadTimeHours];
        const shap = parseShap(row[f.shap]);
        out.push({
          timeUs: Number(row.time),
          problem: s.tags[t.problem] ?? '',
          entity: s.tags[t.entity] ?? '',
          probability: Number(row[f.probability]),
          threshold: Number(row[f.threshold]),
          horizonHours: Number(row[f.horizonHours]),
          leadTimeHours: typeof lead === 'number' ? lead : null,
          explanation: parseExplanation(row[f.explanation]),
          ...(shap ? { shap } : {}),
          recommendation: String(row[f.recommendation] ?? ''),
          department: department as Department,
          priority: priority as Priority,
          modelVersion: s.tags[t.modelVersion] ?? '',
        });
      }
    }
    return out
      .filter((a) => a.entity !== '' && a.problem !== '')
      .sort((a, b) => a.timeUs - b.timeUs || (a.entity < b.entity ? -1 : a.entity > b.entity ? 1 : 0));
  }
}

function parseExplanation(value: unknown): Explanation[] {
  try {
    const parsed: unknown = JSON.parse(String(value ?? '[]'));
    return Array.isArray(parsed)
      ? parsed.filter((e): e is Explanation => typeof e?.feature === 'string' && typeof e?.weight === 'number')
      : [];
  } catch {
    return [];
  }
}

/** The alert's SHAP explanation; undefined for points written before it was stored, or damaged ones. */
function parseShap(value: unknown): ProblemShap | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<ProblemShap>;
    const { space, base, output, contributions, calibration } = parsed;
    if (space !== 'log_odds' && space !== 'forest_mean') return undefined;
    if (typeof base !== 'number' || typeof output !== 'number' || typeof calibration !== 'string') return undefined;
    if (!Array.isArray(contributions) || !contributions.every((c) => typeof c === 'number')) return undefined;
    return { space, base, output, contributions, calibration };
  } catch {
    return undefined;
  }
}

import {
  DRIFT_SERIES,
  FEEDBACK_SERIES,
  MAINTENANCE_SERIES,
  MODEL_METRICS_SERIES,
  PROBLEM_SERIES,
  TICKET_SERIES,
} from '@nocai/contract';
import type { InfluxClient, QuerySeries } from '../influx/client';
import { equalsCondition, quoteIdentifier, quoteString, timeLiteralUs } from '../influx/influxql';
import {
  EVALUATION_METRICS,
  EXPLAINED_READ_LIMIT,
  splitModelVersion,
  type DriftRecord,
  type ExplainedKind,
  type ExplainedPrediction,
  type EvaluationMetrics,
  type ModelPointRecord,
  type ReportInputs,
  type ReportRange,
  type VerdictRecord,
} from './reportModel';

const M = MODEL_METRICS_SERIES;
const D = DRIFT_SERIES;
const T = TICKET_SERIES;
const FB = FEEDBACK_SERIES;
const P = PROBLEM_SERIES;
const MT = MAINTENANCE_SERIES;

/** What the report reads; InfluxDB in the service, a fixture in unit tests. */
export interface ReportSource {
  readonly database: string;
  read(range: ReportRange): Promise<ReportInputs>;
}

/**
 * Reads a report's inputs from the results database in one request (ten InfluxQL statements, every
 * name from the contract and quoted, the range as µs literals). Snake_case fields become the
 * contract's camelCase keys here.
 */
export class InfluxReportSource implements ReportSource {
  constructor(
    private readonly client: InfluxClient,
    readonly database: string
  ) {}

  async read(range: ReportRange): Promise<ReportInputs> {
    const q = quoteIdentifier;
    const inRange = `time >= ${timeLiteralUs(range.fromMs * 1000)} AND time < ${timeLiteralUs(range.toMs * 1000)}`;
    const modelColumns = [...Object.values(M.fields), ...Object.values(M.tags)].map(q).join(', ');
    const driftColumns = Object.values(D.fields).map(q).join(', ');
    const driftGroups = [D.tags.model, D.tags.feature, D.tags.kind].map(q).join(', ');
    const statements = [
      // Overall evaluations and every decision, oldest first.
      `SELECT ${modelColumns} FROM ${q(M.measurement)} WHERE ${inRange} AND ` +
        `(${equalsCondition(M.tags.segment, 'all')} OR ${equalsCondition(M.tags.source, 'decision')}) ORDER BY time ASC`,
      // The newest point of each group series: the groups of each version's newest evaluation are among them.
      `SELECT ${modelColumns} FROM ${q(M.measurement)} WHERE ${inRange} AND ${q(M.tags.segment)} != ${quoteString('all')} AND ` +
        `${q(M.tags.source)} != ${quoteString('decision')} GROUP BY ${[M.tags.model, M.tags.source, M.tags.version, M.tags.segment].map(q).join(', ')} ` +
        `ORDER BY time DESC LIMIT 1`,
      `SELECT ${driftColumns} FROM ${q(D.measurement)} WHERE ${inRange} GROUP BY ${driftGroups} ORDER BY time DESC LIMIT 1`,
      `SELECT max(${q(D.fields.psi)}) AS "max_psi", count(${q(D.fields.driftDetected)}) AS "evaluations" ` +
        `FROM ${q(D.measurement)} WHERE ${inRange} GROUP BY ${driftGroups}`,
      `SELECT count(${q(D.fields.driftDetected)}) AS "detections" FROM ${q(D.measurement)} WHERE ${inRange} AND ` +
        `${q(D.fields.driftDetected)} = true GROUP BY ${driftGroups}`,
      `SELECT count(${q(T.fields.ticketId)}) AS "opened" FROM ${q(T.measurement)} WHERE ${inRange} AND ` +
        `${equalsCondition(T.tags.change, 'opened')} GROUP BY ${q(T.tags.eventClass)}`,
      `SELECT ${[FB.fields.ticketId, FB.tags.verdict, FB.tags.eventClass].map(q).join(', ')} FROM ${q(FB.measurement)} ` +
        `WHERE ${inRange} ORDER BY time ASC`,
      // Explained predictions, the newest of each kind: problems' alerts, failure alarms, tickets' MTTR.
      `SELECT ${[P.fields.explanation, P.tags.modelVersion].map(q).join(', ')} FROM ${q(P.measurement)} WHERE ${inRange} AND ` +
        `${q(P.fields.alert)} = true ORDER BY time DESC LIMIT ${EXPLAINED_READ_LIMIT}`,
      `SELECT ${[MT.fields.topFactors, MT.fields.modelVersion].map(q).join(', ')} FROM ${q(MT.measurement)} WHERE ${inRange} AND ` +
        `${q(MT.fields.alarm)} = true ORDER BY time DESC LIMIT ${EXPLAINED_READ_LIMIT}`,
      `SELECT ${[T.fields.mttrFactors, T.fields.modelVersion].map(q).join(', ')} FROM ${q(T.measurement)} WHERE ${inRange} AND ` +
        `${equalsCondition(T.tags.change, 'opened')} ORDER BY time DESC LIMIT ${EXPLAINED_READ_LIMIT}`,
    ];
    const [overall, segments, driftLatest, driftStats, driftDetections, opened, verdicts, alerts, alarms, tickets] =
      await this.client.queryAll(this.database, statements.join('; '));
    const explainedOf = (
      series: QuerySeries[] | undefined,
      kind: ExplainedKind,
      factorsField: string,
      versionField: string,
      versionOf: (text: string) => string = (text) => text
    ) => {
      const rows = rowsOf(series);
      return {
        kind,
        truncated: rows.length >= EXPLAINED_READ_LIMIT,
        explained: rows.flatMap(({ row, tags }) => {
          const factors = parseFactors(row[factorsField]);
          if (!factors) return [];
          const { model, version } = splitModelVersion(versionOf(tags[versionField] ?? str(row[versionField]) ?? ''));
          return model ? [{ timeUs: Number(row.time), model, version, kind, factors }] : [];
        }),
      };
    };
    const explained = [
      explainedOf(alerts, 'alert', P.fields.explanation, P.tags.modelVersion),
      explainedOf(alarms, 'alarm', MT.fields.topFactors, MT.fields.modelVersion),
      // A ticket's model_version is `<routing>|<mttr model>@<version>`: the MTTR model is named last.
      explainedOf(
        tickets,
        'ticket',
        T.fields.mttrFactors,
        T.fields.modelVersion,
        (text) => text.split('|').at(-1) ?? ''
      ),
    ];
    return {
      overall: rowsOf(overall).map(({ row }) => modelPoint(row, {})),
      segments: (segments ?? []).flatMap((series) => series.rows.map((row) => modelPoint(row, series.tags))),
      drift: driftRecords(driftLatest ?? [], driftStats ?? [], driftDetections ?? []),
      openedByClass: Object.fromEntries(
        (opened ?? []).map((series) => [series.tags[T.tags.eventClass] ?? '', num(series.rows[0]?.opened) ?? 0])
      ),
      verdicts: rowsOf(verdicts).map(({ row }) => verdictRecord(row)),
      explained: explained.flatMap((e) => e.explained),
      explainedTruncated: explained.filter((e) => e.truncated).map((e) => e.kind),
    };
  }
}

function rowsOf(
  series: QuerySeries[] | undefined
): Array<{ row: Record<string, unknown>; tags: Record<string, string> }> {
  return (series ?? []).flatMap((s) => s.rows.map((row) => ({ row, tags: s.tags })));
}

function modelPoint(row: Record<string, unknown>, groupTags: Record<string, string>): ModelPointRecord {
  const tag = (name: string) => groupTags[name] ?? str(row[name]) ?? '';
  const metrics: EvaluationMetrics = {};
  for (const key of EVALUATION_METRICS) {
    const value = num(row[M.fields[key]]);
    if (value !== undefined) metrics[key] = value;
  }
  const point: ModelPointRecord = {
    timeUs: Number(row.time),
    model: tag(M.tags.model),
    version: tag(M.tags.version),
    alias: tag(M.tags.alias),
    source: tag(M.tags.source),
    segment: tag(M.tags.segment),
    metrics,
    primaryMetric: str(row[M.fields.primaryMetric]),
  };
  const decision = str(row[M.fields.decision]);
  if (decision !== undefined) {
    point.decision = {
      decision,
      reason: str(row[M.fields.reason]) ?? '',
      championVersion: str(row[M.fields.championVersion]) ?? '',
      challengerVersion: str(row[M.fields.challengerVersion]) ?? '',
      championValue: num(row[M.fields.championValue]),
      challengerValue: num(row[M.fields.challengerValue]),
    };
  }
  return point;
}

function driftRecords(latest: QuerySeries[], stats: QuerySeries[], detections: QuerySeries[]): DriftRecord[] {
  const key = (tags: Record<string, string>) =>
    JSON.stringify([tags[D.tags.model] ?? '', tags[D.tags.feature] ?? '', tags[D.tags.kind] ?? '']);
  const statsOf = new Map(stats.map((s) => [key(s.tags), s.rows[0] ?? {}]));
  const detectionsOf = new Map(detections.map((s) => [key(s.tags), num(s.rows[0]?.detections) ?? 0]));
  return latest.flatMap((series) => {
    const row = series.rows[0];
    if (!row) return [];
    const stat = statsOf.get(key(series.tags)) ?? {};
    return [
      {
        model: series.tags[D.tags.model] ?? '',
        feature: series.tags[D.tags.feature] ?? '',
        kind: series.tags[D.tags.kind] ?? '',
        timeUs: Number(row.time),
        psi: num(row[D.fields.psi]),
        method: str(row[D.fields.method]),
        statistic: num(row[D.fields.statistic]),
        pValue: num(row[D.fields.pValue]),
        sampleSize: num(row[D.fields.sampleSize]),
        unseenShare: num(row[D.fields.unseenShare]),
        driftDetected: row[D.fields.driftDetected] === true,
        modelVersion: str(row[D.fields.modelVersion]),
        maxPsi: num(stat.max_psi),
        evaluations: num(stat.evaluations) ?? 0,
        detections: detectionsOf.get(key(series.tags)) ?? 0,
      },
    ];
  });
}

function verdictRecord(row: Record<string, unknown>): VerdictRecord {
  return {
    timeUs: Number(row.time),
    ticketId: str(row[FB.fields.ticketId]) ?? '',
    verdict: str(row[FB.tags.verdict]) ?? '',
    eventClass: str(row[FB.tags.eventClass]) ?? '',
  };
}

/**
 * A stored JSON factor list (`[{feature, weight, value?}]`); undefined when the field is absent,
 * empty or not such a list (a point written before explanations existed), so it is left out rather
 * than counted as a prediction that nothing drove.
 */
function parseFactors(text: unknown): ExplainedPrediction['factors'] | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const factors = parsed.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) return [];
    const { feature, weight, value } = item as Record<string, unknown>;
    if (typeof feature !== 'string' || typeof weight !== 'number' || !Number.isFinite(weight)) return [];
    return [{ feature, weight, ...(typeof value === 'number' && Number.isFinite(value) ? { value } : {}) }];
  });
  return factors.length > 0 ? factors : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

import {
  DRIFT_SERIES,
  FEEDBACK_SERIES,
  MAINTENANCE_SERIES,
  MODEL_METRICS_SERIES,
  PROBLEM_SERIES,
  TICKET_SERIES,
} from '@nocai/contract';
import type { InfluxClient } from '../../inference-backend/src/adapters/influx';
import { toLineProtocol } from '../../inference-backend/src/adapters/influx/lineProtocol';
import type { SeriesPoint } from '../../inference-backend/src/domain/series';

/**
 * A week of the model lifecycle as its writers put it in InfluxDB (the contract's names, the
 * project's line protocol): the department router's v1 champion evaluated on holdout and hourly in
 * production, challenger v2 promoted on Wednesday and sliding under 0.8 by Sunday, a shuffled-label
 * v3 kept out; an MTTR regressor with MAE; groups with every evaluation; two inputs checked for
 * drift every six hours, the template mix drifting from Friday; tickets opened and judged, their
 * MTTR estimates explained; a freezer problem's probabilities with SHAP-explained alerts, by two
 * versions; a PLC failure model's risks with explained alarms. Points
 * an hour before the week and at its end (excluded) test the range's edges.
 */
export const WEEK_FROM_MS = Date.UTC(2024, 4, 6);
export const WEEK_TO_MS = Date.UTC(2024, 4, 13);
const HOUR = 3_600_000;

const M = MODEL_METRICS_SERIES;
const D = DRIFT_SERIES;
const T = TICKET_SERIES;
const FB = FEEDBACK_SERIES;

const at = (hours: number) => (WEEK_FROM_MS + hours * HOUR) * 1000;

function modelPoint(
  hours: number,
  tags: { model: string; version: string; alias: string; source: string; segment?: string },
  fields: Record<string, number | string>
): SeriesPoint {
  return {
    measurement: M.measurement,
    tags: {
      [M.tags.model]: tags.model,
      [M.tags.version]: tags.version,
      [M.tags.alias]: tags.alias,
      [M.tags.source]: tags.source,
      [M.tags.segment]: tags.segment ?? 'all',
    },
    fields,
    timeUs: at(hours),
  };
}

/** A holdout evaluation of `version`: the overall point and one per site kind, at the same instant. */
function holdout(
  hours: number,
  model: string,
  version: string,
  alias: string,
  accuracy: number,
  f1: number
): SeriesPoint[] {
  const tags = { model, version, alias, source: 'holdout' };
  return [
    modelPoint(hours, tags, {
      [M.fields.accuracy]: accuracy,
      [M.fields.f1]: f1,
      [M.fields.holdoutSize]: 380,
      [M.fields.primaryMetric]: M.fields.f1,
      [M.fields.primaryValue]: f1,
      [M.fields.worstSegmentGap]: 0.07,
      [M.fields.worstSegmentRatio]: 0.92,
    }),
    modelPoint(
      hours,
      { ...tags, segment: 'site_kind=hospital' },
      {
        [M.fields.accuracy]: Math.min(1, accuracy + 0.04),
        [M.fields.f1]: Math.min(1, f1 + 0.02),
        [M.fields.holdoutSize]: 200,
      }
    ),
    modelPoint(
      hours,
      { ...tags, segment: 'site_kind=factory' },
      {
        [M.fields.accuracy]: accuracy - 0.07,
        [M.fields.f1]: f1 - 0.07,
        [M.fields.holdoutSize]: 180,
      }
    ),
  ];
}

function production(hours: number, version: string, accuracy: number): SeriesPoint[] {
  const tags = { model: 'department', version, alias: 'champion', source: 'production' };
  const valid = 30 + (hours % 7);
  return [
    modelPoint(hours, tags, {
      [M.fields.accuracy]: accuracy,
      [M.fields.holdoutSize]: valid + 10,
      [M.fields.primaryMetric]: M.fields.accuracy,
      [M.fields.primaryValue]: accuracy,
      [M.fields.validCount]: valid,
      [M.fields.invalidCount]: 6,
      [M.fields.avoidedCount]: 4,
      [M.fields.correctedCount]: 3,
    }),
    modelPoint(
      hours,
      { ...tags, segment: 'department=facilities' },
      {
        [M.fields.accuracy]: accuracy - 0.1,
        [M.fields.holdoutSize]: 12,
      }
    ),
  ];
}

function decision(
  hours: number,
  version: string,
  alias: string,
  fields: {
    decision: string;
    reason: string;
    champion: string;
    challenger: string;
    championValue: number;
    challengerValue: number;
  }
): SeriesPoint {
  return modelPoint(
    hours,
    { model: 'department', version, alias, source: 'decision' },
    {
      [M.fields.decision]: fields.decision,
      [M.fields.reason]: fields.reason,
      [M.fields.primaryMetric]: M.fields.f1,
      [M.fields.championVersion]: fields.champion,
      [M.fields.challengerVersion]: fields.challenger,
      [M.fields.championValue]: fields.championValue,
      [M.fields.challengerValue]: fields.challengerValue,
    }
  );
}

function drift(
  hours: number,
  feature: string,
  kind: string,
  psi: number,
  detected: boolean,
  unseen?: number
): SeriesPoint {
  return {
    measurement: D.measurement,
    tags: { [D.tags.model]: 'department', [D.tags.feature]: feature, [D.tags.kind]: kind },
    fields: {
      [D.fields.psi]: psi,
      [D.fields.method]: 'chi2',
      [D.fields.statistic]: Math.round(psi * 4000) / 10,
      [D.fields.pValue]: detected ? 0.0004 : 0.41,
      [D.fields.sampleSize]: 300,
      [D.fields.driftDetected]: detected,
      [D.fields.modelVersion]: hours < 51 ? 'v1' : 'v2',
      ...(unseen === undefined ? {} : { [D.fields.unseenShare]: unseen }),
    },
    timeUs: at(hours),
  };
}

/** Top factors as the stages store them: `[{feature, value, weight}]`, strongest first. */
function factorsJson(factors: Array<[string, number, number?]>): string {
  return JSON.stringify(
    factors.map(([feature, weight, value]) => ({ feature, ...(value === undefined ? {} : { value }), weight }))
  );
}

/** A ticket's MTTR factors (one-hot inputs carry no value), varied by ticket. */
function mttrFactors(i: number, eventClass: string): string {
  return factorsJson([
    [`event_class=${eventClass}`, eventClass === 'power' ? 0.62 : -0.18 - i / 100],
    ['priority=P2', 0.31],
    ['hour_of_day', i % 2 === 0 ? 0.12 : -0.09, (i * 6 + 1) % 24],
  ]);
}

function ticket(hours: number, id: string, eventClass: string, change: string, factors?: string): SeriesPoint {
  return {
    measurement: T.measurement,
    tags: {
      [T.tags.status]: change === 'opened' ? 'open' : 'acknowledged',
      [T.tags.priority]: 'P2',
      [T.tags.department]: 'facilities',
      [T.tags.eventClass]: eventClass,
      [T.tags.site]: 'hosp-01',
      [T.tags.siteKind]: 'hospital',
      [T.tags.source]: 'logs',
      [T.tags.change]: change,
    },
    fields: {
      [T.fields.ticketId]: id,
      [T.fields.title]: `${eventClass} ticket ${id}`,
      [T.fields.modelVersion]: 'ticket-class@4|mttr@v1',
      ...(factors === undefined ? {} : { [T.fields.mttrFactors]: factors }),
    },
    timeUs: at(hours),
  };
}

/**
 * The freezer problem every two hours on two freezers: an alert (with its explanation) when the
 * probability crosses 0.6, by version 2 until Thursday and version 3 after; other points carry none.
 */
function problemPoints(): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  for (let h = 0; h < 168; h += 2) {
    for (const entity of ['freezer-1', 'freezer-2']) {
      const p = Math.round((0.5 + 0.45 * Math.sin(h / 9 + (entity === 'freezer-2' ? 2 : 0))) * 1e4) / 1e4;
      const alert = p >= 0.6 && h % 6 === 0;
      const door = entity === 'freezer-2' ? 0.9 : 0.2;
      points.push({
        measurement: PROBLEM_SERIES.measurement,
        tags: {
          [PROBLEM_SERIES.tags.problem]: 'freezer',
          [PROBLEM_SERIES.tags.entity]: entity,
          [PROBLEM_SERIES.tags.modelVersion]: h < 72 ? 'problem-freezer@2' : 'problem-freezer@3',
        },
        fields: {
          [PROBLEM_SERIES.fields.probability]: p,
          [PROBLEM_SERIES.fields.threshold]: 0.6,
          [PROBLEM_SERIES.fields.alert]: alert,
          ...(alert
            ? {
                [PROBLEM_SERIES.fields.explanation]: factorsJson([
                  ['freezer.temp_c:slope', 1.1 + p, 0.4],
                  ['freezer.door_open:mean', door, door / 2],
                  ['freezer.setpoint_c:last', -0.25, -21],
                ]),
              }
            : {}),
        },
        timeUs: at(h),
      });
    }
  }
  return points;
}

/** A PLC's failure risk hourly: top factors on every risky point, an alarm every sixth hour among them. */
function maintenancePoints(): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  for (let h = 0; h < 168; h += 1) {
    const p = Math.round((0.3 + 0.3 * Math.cos(h / 7)) * 1e4) / 1e4;
    const risky = p >= 0.4;
    points.push({
      measurement: MAINTENANCE_SERIES.measurement,
      tags: {
        [MAINTENANCE_SERIES.tags.host]: 'plc-07',
        [MAINTENANCE_SERIES.tags.site]: 'factory-01',
        [MAINTENANCE_SERIES.tags.deviceKind]: 'plc',
      },
      fields: {
        [MAINTENANCE_SERIES.fields.failureProbability]: p,
        [MAINTENANCE_SERIES.fields.horizonHours]: 24,
        [MAINTENANCE_SERIES.fields.modelVersion]: 'plc-failure@1',
        [MAINTENANCE_SERIES.fields.alarm]: risky && h % 6 === 0,
        ...(risky
          ? {
              [MAINTENANCE_SERIES.fields.topFactors]: factorsJson([
                ['sensors.vibration_mm_s', 0.8 * p, 7.1],
                ['sensors.temperature_c', 0.4, 61],
              ]),
            }
          : {}),
      },
      timeUs: at(h),
    });
  }
  return points;
}

function verdict(hours: number, id: string, eventClass: string, value: string): SeriesPoint {
  return {
    measurement: FB.measurement,
    tags: {
      [FB.tags.verdict]: value,
      [FB.tags.department]: 'facilities',
      [FB.tags.eventClass]: eventClass,
      [FB.tags.priority]: 'P2',
    },
    fields: { [FB.fields.ticketId]: id, [FB.fields.comment]: '', [FB.fields.user]: 'alice' },
    timeUs: at(hours),
  };
}

export function reportScenarioPoints(): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  // Outside the week: an hour before, and at its (excluded) end.
  points.push(...production(-1, 'v0', 0.5), ...production(168, 'v2', 0.5));
  points.push(...holdout(1, 'department', 'v1', 'champion', 0.86, 0.81));
  for (let h = 2; h < 51; h += 1)
    points.push(...production(h, 'v1', Math.round((0.84 + 0.03 * Math.sin(h / 5)) * 1e4) / 1e4));
  points.push(
    ...holdout(51, 'department', 'v1', 'champion', 0.85, 0.8),
    ...holdout(51, 'department', 'v2', 'challenger', 0.91, 0.88)
  );
  points.push(
    decision(51, 'v2', 'champion', {
      decision: 'promoted',
      reason: 'f1 0.880 (v2) vs 0.800 (v1) on 380 fresh rows, no segment lost more than 0.05',
      champion: 'v1',
      challenger: 'v2',
      championValue: 0.8,
      challengerValue: 0.88,
    })
  );
  for (let h = 52; h < 168; h += 1)
    points.push(...production(h, 'v2', Math.round((0.9 - (0.14 * (h - 52)) / 116) * 1e4) / 1e4));
  points.push(...holdout(122, 'department', 'v3', 'challenger', 0.41, 0.3));
  points.push(
    decision(122, 'v3', 'challenger', {
      decision: 'kept',
      reason: 'f1 0.300 (v3) vs 0.870 (v2): the challenger <b>loses</b> & is kept out',
      champion: 'v2',
      challenger: 'v3',
      championValue: 0.87,
      challengerValue: 0.3,
    })
  );
  // MTTR: a regressor, judged on its mean absolute error.
  const mttr = { model: 'mttr', version: 'v1', alias: 'champion', source: 'holdout' };
  points.push(
    modelPoint(5, mttr, {
      [M.fields.maeSeconds]: 1830.5,
      [M.fields.holdoutSize]: 240,
      [M.fields.primaryMetric]: M.fields.maeSeconds,
      [M.fields.primaryValue]: 1830.5,
    }),
    modelPoint(
      5,
      { ...mttr, segment: 'department=facilities' },
      { [M.fields.maeSeconds]: 2410, [M.fields.holdoutSize]: 60 }
    ),
    modelPoint(
      5,
      { ...mttr, segment: 'department=network_ops' },
      { [M.fields.maeSeconds]: 1204.25, [M.fields.holdoutSize]: 90 }
    )
  );
  for (let h = 0; h < 168; h += 6) {
    points.push(drift(h, 'site_kind', 'categorical', 0.02 + (h % 5) / 100, false));
    const drifting = h >= 96;
    points.push(
      drift(h, 'template_mix', 'templates', drifting ? 0.31 + h / 2000 : 0.04, drifting, drifting ? 0.3 : 0.01)
    );
  }
  const classes = ['power', 'network', 'hardware'];
  for (let i = 0; i < 24; i++) {
    const eventClass = classes[i % 3];
    // Every third ticket's MTTR came from a baseline: no factors.
    const factors = i % 3 === 2 ? undefined : mttrFactors(i, eventClass);
    points.push(
      ticket(i * 6 + 1, `T-${i}`, eventClass, 'opened', factors),
      ticket(i * 6 + 2, `T-${i}`, eventClass, 'status', factors)
    );
    if (i % 2 === 0) points.push(verdict(i * 6 + 3, `T-${i}`, eventClass, i % 8 === 0 ? 'invalid' : 'valid'));
    if (i % 5 === 1) points.push(verdict(i * 6 + 4, `T-${i}`, eventClass, 'avoided'));
  }
  // T-0 was first judged invalid, then valid: the last verdict counts.
  points.push(verdict(100, 'T-0', 'power', 'valid'));
  points.push(...problemPoints(), ...maintenancePoints());
  return points;
}

/** Writes the scenario into `database`. */
export async function writeReportScenario(client: InfluxClient, database: string): Promise<void> {
  const lines = reportScenarioPoints().map(toLineProtocol);
  for (let i = 0; i < lines.length; i += 2000) await client.writeLines(database, lines.slice(i, i + 2000));
}

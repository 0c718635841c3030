import { durationMs, matchesVariable, OUTPUT } from '@nocai/contract';
import type { ProblemDefinition } from '@nocai/contract';
import type { EntitySeries, ProblemGrid } from '../../domain/problems/dataset';
import { ProblemDataError } from '../../domain/problems/errors';
import type { ProblemSeriesData, ProblemSeriesSource } from '../../domain/problems/ports';
import type { InfluxClient } from './client';
import { durationLiteral, equalsCondition, quoteIdentifier, quoteString, timeLiteralUs } from './influxql';

/**
 * A problem's series from InfluxDB (issue 12): the inputs from the Telegraf database, averaged per
 * grid step and entity (`GROUP BY time(step), "<entity tag>"`); the event from the same database
 * (a threshold on a series: its step mean against the value) or from the backend's output database
 * (tickets of a class, log lines of a template: at least one in the step). Every identifier and
 * literal goes through `influxql.ts`.
 */

const NUMERIC_FIELD_TYPES = new Set(['float', 'integer']);
/** Steps per query at most: a long range is read in slices, so no answer hits a server's row limit. */
const STEPS_PER_QUERY = 5000;

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class InfluxProblemSeries implements ProblemSeriesSource {
  constructor(
    private readonly client: InfluxClient,
    /** Telegraf's database: the inputs and threshold events. */
    private readonly inputDatabase: string,
    /** The backend's database: `aiops_events` for ticket and log-template events. */
    private readonly outputDatabase: string
  ) {}

  private async measurements(): Promise<string[]> {
    const series = await this.client.query(this.inputDatabase, 'SHOW MEASUREMENTS');
    return series.flatMap((s) => s.rows.map((r) => String(r.name ?? ''))).filter((m) => m !== '');
  }

  private async numericFields(measurement: string): Promise<string[]> {
    const series = await this.client.query(this.inputDatabase, `SHOW FIELD KEYS FROM ${quoteIdentifier(measurement)}`);
    return series
      .flatMap((s) => s.rows)
      .filter((r) => NUMERIC_FIELD_TYPES.has(String(r.fieldType)))
      .map((r) => String(r.fieldKey));
  }

  async resolveVariables(definition: ProblemDefinition): Promise<string[]> {
    const { include, exclude, controllable } = definition.variables;
    const measurements = await this.measurements();
    const fieldsOf = new Map<string, string[]>();
    const fields = async (m: string) => {
      let list = fieldsOf.get(m);
      if (!list) {
        list = await this.numericFields(m);
        fieldsOf.set(m, list);
      }
      return list;
    };
    const chosen = new Set<string>();
    for (const [i, pattern] of include.entries()) {
      const measurementPattern = pattern.slice(0, pattern.indexOf('.'));
      let matched = 0;
      for (const m of measurements.filter((name) => matchesVariable(measurementPattern, name))) {
        for (const f of await fields(m)) {
          const variable = `${m}.${f}`;
          if (!matchesVariable(pattern, variable)) continue;
          matched++;
          if (!exclude.some((x) => matchesVariable(x, variable))) chosen.add(variable);
        }
      }
      if (matched === 0) {
        throw new ProblemDataError(
          `variables.include.${i}: ${pattern} matches no numeric field of database ${this.inputDatabase}`,
          `variables.include.${i}`
        );
      }
    }
    if (chosen.size === 0) {
      throw new ProblemDataError('variables.exclude removes every input: no variable is left', 'variables.exclude');
    }
    controllable.forEach((v, i) => {
      if (!chosen.has(v)) {
        throw new ProblemDataError(
          `variables.controllable.${i}: ${v} is not a numeric input series of database ${this.inputDatabase}`,
          `variables.controllable.${i}`
        );
      }
    });
    const event = definition.event;
    if (event.kind === 'threshold') {
      if (!measurements.includes(event.measurement)) {
        throw new ProblemDataError(
          `event.measurement: database ${this.inputDatabase} has no measurement ${event.measurement}`,
          'event.measurement'
        );
      }
      if (!(await fields(event.measurement)).includes(event.field)) {
        throw new ProblemDataError(
          `event.field: measurement ${event.measurement} has no numeric field ${event.field}`,
          'event.field'
        );
      }
    }
    return [...chosen].sort(compare);
  }

  async load(definition: ProblemDefinition, range: { fromMs: number; toMs: number }): Promise<ProblemSeriesData> {
    const variables = await this.resolveVariables(definition);
    const stepMs = durationMs(definition.interval) ?? 0;
    const startMs = Math.floor(range.fromMs / stepMs) * stepMs;
    const grid: ProblemGrid = { startMs, stepMs, steps: Math.ceil((range.toMs - startMs) / stepMs) };
    const entityTag = definition.entity.tag;
    const filters = Object.entries(definition.entity.where)
      .map(([tag, value]) => ` AND ${equalsCondition(tag, value)}`)
      .join('');

    const values = new Map<string, Map<string, Float64Array>>();
    const byMeasurement = new Map<string, string[]>();
    for (const v of variables) {
      const dot = v.indexOf('.');
      const m = v.slice(0, dot);
      byMeasurement.set(m, [...(byMeasurement.get(m) ?? []), v.slice(dot + 1)]);
    }
    for (const [measurement, fields] of byMeasurement) {
      const select = fields.map((f) => `mean(${quoteIdentifier(f)}) AS ${quoteIdentifier(f)}`).join(', ');
      await this.readGrouped(
        this.inputDatabase,
        grid,
        entityTag,
        `SELECT ${select} FROM ${quoteIdentifier(measurement)}`,
        filters,
        (entity, k, row) => {
          let perEntity = values.get(entity);
          if (!perEntity) {
            perEntity = new Map(variables.map((v) => [v, new Float64Array(grid.steps).fill(NaN)]));
            values.set(entity, perEntity);
          }
          for (const f of fields) {
            const raw = row[f];
            if (typeof raw === 'number') {
              const series = perEntity.get(`${measurement}.${f}`);
              if (series) series[k] = raw;
            }
          }
        }
      );
    }
    if (values.size === 0) {
      const where = Object.keys(definition.entity.where).length ? ' with the tags of entity.where' : '';
      throw new ProblemDataError(
        `variables.include: no input series has a point tagged ${entityTag}${where} between ` +
          `${new Date(range.fromMs).toISOString()} and ${new Date(range.toMs).toISOString()}`,
        'variables.include'
      );
    }

    const conditions = new Map<string, Uint8Array>();
    const conditionOf = (entity: string) => {
      let c = conditions.get(entity);
      if (!c) {
        c = new Uint8Array(grid.steps);
        conditions.set(entity, c);
      }
      return c;
    };
    const event = definition.event;
    if (event.kind === 'threshold') {
      const holds = (x: number) =>
        event.operator === '>'
          ? x > event.value
          : event.operator === '>='
            ? x >= event.value
            : event.operator === '<'
              ? x < event.value
              : x <= event.value;
      await this.readGrouped(
        this.inputDatabase,
        grid,
        entityTag,
        `SELECT mean(${quoteIdentifier(event.field)}) AS "value" FROM ${quoteIdentifier(event.measurement)}`,
        filters,
        (entity, k, row) => {
          if (typeof row.value === 'number' && holds(row.value)) conditionOf(entity)[k] = 1;
        }
      );
    } else {
      // The backend's events repeat the syslog line's hostname as the entity.
      const events = OUTPUT.events;
      const condition =
        event.kind === 'tickets'
          ? ` AND ${equalsCondition(events.tags.eventClass, event.class)} AND ${quoteIdentifier(events.fields.decision)} = 'alert'`
          : ` AND ${quoteIdentifier(events.fields.template)} = ${quoteString(event.template)}`;
      await this.readGrouped(
        this.outputDatabase,
        grid,
        events.tags.hostname,
        `SELECT count(${quoteIdentifier(events.fields.decision)}) AS "value" FROM ${quoteIdentifier(events.measurement)}`,
        condition,
        (entity, k, row) => {
          if (typeof row.value === 'number' && row.value > 0) conditionOf(entity)[k] = 1;
        }
      );
    }

    const series: EntitySeries[] = [...values.keys()].sort(compare).map((entity) => ({
      entity,
      values: values.get(entity) ?? new Map(),
      condition: conditions.get(entity) ?? new Uint8Array(grid.steps),
    }));
    return { grid, series, variables };
  }

  /** Runs `select … WHERE <time slice><filters> GROUP BY time(step), "<tag>" fill(none)` slice by slice. */
  private async readGrouped(
    database: string,
    grid: ProblemGrid,
    tag: string,
    select: string,
    filters: string,
    onRow: (entity: string, step: number, row: Record<string, unknown>) => void
  ): Promise<void> {
    const step = durationLiteral(`${grid.stepMs}ms`);
    for (let first = 0; first < grid.steps; first += STEPS_PER_QUERY) {
      const fromMs = grid.startMs + first * grid.stepMs;
      const toMs = grid.startMs + Math.min(grid.steps, first + STEPS_PER_QUERY) * grid.stepMs;
      const q =
        `${select} WHERE time >= ${timeLiteralUs(fromMs * 1000)} AND time < ${timeLiteralUs(toMs * 1000)}${filters} ` +
        `GROUP BY time(${step}), ${quoteIdentifier(tag)} fill(none)`;
      for (const s of await this.client.query(database, q)) {
        const entity = s.tags[tag] ?? '';
        if (entity === '') continue;
        for (const row of s.rows) {
          // epoch=u: bucket start in microseconds.
          const k = Math.round((Number(row.time) / 1000 - grid.startMs) / grid.stepMs);
          if (k >= 0 && k < grid.steps) onRow(entity, k, row);
        }
      }
    }
  }
}

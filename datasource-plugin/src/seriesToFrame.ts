import { createDataFrame, type DataFrame, type FieldDTO, FieldType } from '@grafana/data';
import type { SeriesKind, SeriesPage, SeriesRow } from '@nocai/contract';
import { SERIES_BY_KIND } from '@nocai/contract/dist/outputSeries';

type SeriesValue = SeriesRow['fields'][string];

/**
 * One row per point of a result series (`GET /api/series/:kind`), oldest first: the backend pages newest
 * first, but time-series panels draw lines point after point and need ascending time.
 *
 * Columns come from the contract's `SERIES_BY_KIND`, not from the rows, so a dashboard gets the same columns
 * (and a panel's overrides and transformations keep working) whether the range holds no point, or points that
 * lack a tag. Names are the InfluxDB ones, as the InfluxDB data source would name them for the same
 * measurement. Tags become string columns; to draw one line per host, a panel groups by them (e.g. the
 * "Partition by values" transformation).
 */
export function seriesToFrame(page: SeriesPage, kind: SeriesKind, refId: string): DataFrame {
  const series = SERIES_BY_KIND[kind];
  const rows = oldestFirst(page.rows);
  const tagNames: readonly string[] = Object.values(series.tags);
  const fieldNames: readonly string[] = Object.values(series.fields);
  return createDataFrame({
    refId,
    name: series.measurement,
    fields: [
      { name: 'Time', type: FieldType.time, values: rows.map((row) => row.timeMs) },
      // An absent tag is an empty string in InfluxDB too: grouping by it then keeps such points together.
      ...tagNames.map((tag) => ({ name: tag, type: FieldType.string, values: rows.map((row) => row.tags[tag] ?? '') })),
      ...fieldNames.map((name) =>
        valueField(
          name,
          rows.map((row) => row.fields[name] ?? null)
        )
      ),
    ],
  });
}

/**
 * The type a column of field values gets. The contract names fields but does not type them, and InfluxDB
 * itself types a field by what was written: numeric when every value present is a number (a column with no
 * value at all too, so an empty range still gives a numeric series a graph can draw), boolean when every value
 * is a boolean, otherwise text.
 */
export function inferFieldType(values: readonly SeriesValue[]): FieldType {
  const present = values.filter((value) => value !== null);
  if (present.every((value) => typeof value === 'number')) {
    return FieldType.number;
  }
  if (present.every((value) => typeof value === 'boolean')) {
    return FieldType.boolean;
  }
  return FieldType.string;
}

/** Mixed values become text so that the column holds one type; a missing value stays null, not "null". */
function valueField(name: string, values: readonly SeriesValue[]): FieldDTO {
  const type = inferFieldType(values);
  const converted = type === FieldType.string ? values.map((value) => (value === null ? null : String(value))) : values;
  return { name, type, values: [...converted] };
}

/** Sorted copy; points of the same instant (several hosts) keep the order the backend gave them. */
function oldestFirst(rows: readonly SeriesRow[]): SeriesRow[] {
  return [...rows].sort((a, b) => a.timeMs - b.timeMs);
}

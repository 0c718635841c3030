import type { PointSink } from '../../domain/series';
import { InfluxClient, type InfluxConnection } from './client';
import { InfluxWriter } from './writer';

export { InfluxClient, type InfluxConnection, type QuerySeries } from './client';
export { InfluxError } from './errors';
export { InfluxWriter } from './writer';
export {
  equalsCondition,
  InexpressibleLiteralError,
  isQuotable,
  quoteIdentifier,
  quoteString,
  regexLiteralFor,
  timeLiteralUs,
} from './influxql';
export { toLineProtocol, UnrepresentableValueError } from './lineProtocol';

/** A batched writer into `database`, created if missing. */
export async function createInfluxSink(
  options: InfluxConnection & { database: string; batchSize?: number; flushIntervalMs?: number }
): Promise<PointSink> {
  const client = new InfluxClient(options);
  await client.createDatabase(options.database);
  return new InfluxWriter(client, {
    database: options.database,
    batchSize: options.batchSize,
    flushIntervalMs: options.flushIntervalMs,
  });
}

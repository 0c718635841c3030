import type { PointSink } from '../../domain/series';
import { InfluxClient, type InfluxConnection } from './client';
import { InfluxWriter } from './writer';

export { InfluxClient, type InfluxConnection, type QuerySeries } from './client';
export { InfluxError } from './errors';
export { InfluxWriter } from './writer';
export { quoteIdentifier, quoteString, regexLiteralFor, timeLiteralUs } from './influxql';
export { toLineProtocol } from './lineProtocol';

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

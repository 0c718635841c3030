import { randomBytes } from 'node:crypto';
import { InfluxClient } from '../../inference-backend/src/adapters/influx';

/** The influxd started by globalSetup. */
export function testInfluxUrl(): string {
  const url = process.env.NOCAI_TEST_INFLUX_URL;
  if (!url) throw new Error('NOCAI_TEST_INFLUX_URL is not set: run the tests through the root jest config (npm test)');
  return url;
}

/** A database of its own for each test file, so tests never see each other's points. */
export async function freshDatabase(prefix: string): Promise<{ client: InfluxClient; database: string }> {
  const client = new InfluxClient({ url: testInfluxUrl() });
  const database = `${prefix}_${randomBytes(4).toString('hex')}`;
  await client.createDatabase(database);
  return { client, database };
}

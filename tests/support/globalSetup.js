/**
 * Starts one private influxd for the whole test run (free port, data in a temporary folder).
 * Tests find it through NOCAI_TEST_INFLUX_URL. It never skips: without influxd the run fails
 * with a sentence saying how to install it. Plain JS because jest loads it before any transform;
 * the logic lives in the backend (`npm test` builds it first).
 */
const { startLocalInfluxd } = require('../../inference-backend/dist/adapters/influx/localServer');

module.exports = async function globalSetup() {
  if (process.env.NOCAI_TEST_INFLUX_URL) return;
  let server;
  try {
    server = await startLocalInfluxd();
  } catch (error) {
    throw new Error(`Tests need a real InfluxDB. ${error.message}`);
  }
  process.env.NOCAI_TEST_INFLUX_URL = server.url;
  globalThis.__NOCAI_INFLUXD__ = server;
};

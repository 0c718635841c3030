module.exports = async function globalTeardown() {
  const server = globalThis.__NOCAI_INFLUXD__;
  if (server) await server.stop();
};

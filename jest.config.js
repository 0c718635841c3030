/**
 * One jest run for the whole repo (`npm test`). The global setup starts one private influxd
 * for every project's tests and stops it afterwards.
 */
module.exports = {
  // Integration tests start processes and wait on a real influxd; unit tests finish far sooner.
  testTimeout: 300000,
  // A test that times out may leave its in-process backend (HTTP server, pipeline timers) running;
  // CI must still end with its summary line instead of waiting forever on those handles.
  forceExit: true,
  reporters: ['default', '<rootDir>/tests/support/summaryReporter.js'],
  globalSetup: '<rootDir>/tests/support/globalSetup.js',
  globalTeardown: '<rootDir>/tests/support/globalTeardown.js',
  projects: [
    '<rootDir>/contract',
    '<rootDir>/inference-backend',
    '<rootDir>/tests',
    '<rootDir>/panel-plugin',
    '<rootDir>/datasource-plugin',
  ],
};

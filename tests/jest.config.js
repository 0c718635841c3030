/** Cross-package tests against a real influxd (started once by the root global setup). */
module.exports = {
  displayName: 'integration',
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  moduleNameMapper: { '^@nocai/contract$': '<rootDir>/../contract/src/index.ts' },
};

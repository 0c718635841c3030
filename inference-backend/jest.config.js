/** Unit tests of the backend: TypeScript through swc, the contract read from its sources. */
module.exports = {
  displayName: 'inference-backend',
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  moduleNameMapper: { '^@nocai/contract$': '<rootDir>/../contract/src/index.ts' },
};

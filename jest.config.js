// Three projects, one per kind of test (DESIGN.md §6). TypeScript is transpiled by swc (fast on
// 2 cores); type errors are caught by `npm run typecheck`, not here.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  // Jest reads testTimeout only from the top level, not per project. Integration tests deploy
  // stacks and wait on the stand-in; unit tests never wait (virtual clock), so the bound only
  // matters there.
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'contract', testMatch: ['<rootDir>/test/contract/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // One moto server + Image Builder stand-in per worker, for the whole run (test/integration/harness.ts).
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/global-teardown.ts',
    },
  ],
};

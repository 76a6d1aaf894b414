import { defineConfig } from 'vitest/config';

// Two projects, one after the other (sequence.groupOrder): the unit tests in
// parallel, then the integration tests one file at a time. Every integration
// file starts real logship processes and writers, and two of them at once on a
// 2-core machine load each other into the very slowness the tests must not
// depend on.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.vitest-results.json' },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});

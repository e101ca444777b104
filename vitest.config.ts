import { defineConfig } from 'vitest/config';

/**
 * Integration files whose assertions are about time: held rates, throttled shares, iterator-age
 * slopes, arrival lag, the generator's own per-second figures — and the bad-input table, which
 * keeps both cores busy with CLI processes by itself. Each runs alone, so it measures what it
 * would on an idle machine. Every other integration file only waits (a child process,
 * an init limit, a short run whose accounting or a rule's outcome is checked, with light load),
 * and three run side by side (each is mostly waiting, so a third file fills the cores the
 * other two leave idle: 157 s → 118 s for the project here).
 */
const measuresTime = [
  'test/integration/bad-inputs.test.ts',
  'test/integration/eventbridge-pattern.test.ts',
  'test/integration/isolated-handler-load.test.ts',
  'test/integration/kinesis-pattern.test.ts',
  'test/integration/load-self-measurement.test.ts',
  // Its measured run's concurrency follows how promptly deliveries run: alone, as the prediction assumes.
  'test/integration/predict-vs-run.test.ts',
  'test/integration/s3-pattern.test.ts',
  'test/integration/sqs-pattern.test.ts',
];
const integrationFiles = ['test/integration/**/*.test.ts', 'test/browser/**/*.test.ts'];

export default defineConfig({
  test: {
    setupFiles: ['test/setup/sdk-node-warning.ts', 'test/setup/machine-ceilings.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'drivers/**/*.test.ts'],
          // Pure and quick (virtual clocks, in-memory stores): files side by side, sharing one module graph.
          fileParallelism: true,
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: integrationFiles,
          exclude: measuresTime,
          // Emulators, CLI processes and short runs checked for what they did, not how fast: three at a time on two cores.
          fileParallelism: true,
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'timing',
          include: measuresTime,
          // Load phases whose rates and lags are the assertion: one file at a time.
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
      {
        extends: true,
        test: {
          name: 'agreement',
          // Every shipped scenario run at full length beside its prediction (~8 min): `npm run test:agreement` and nightly, not `npm test`.
          include: ['test/agreement/**/*.test.ts'],
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});

import { defineConfig } from 'vitest/config';

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
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/browser/**/*.test.ts'],
          // They start emulators, worker threads and CLI processes and run short load phases on two
          // cores: one file at a time, so each measures what it would alone.
          fileParallelism: false,
        },
      },
    ],
  },
});

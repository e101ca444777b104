import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'drivers/**/*.test.ts'],
    setupFiles: ['test/setup/sdk-node-warning.ts', 'test/setup/machine-ceilings.ts'],
    // Integration tests start emulators and run short load phases; they share two cores, so run files one at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});

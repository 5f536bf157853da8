import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/fixtures/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default is one worker fewer than the cores: one on a 2-core machine, where most e2e files wait
    // on child processes and brokers rather than compute; two keep both cores busy (the tests wait on
    // events, never on wall-clock timing, so a busier machine changes their speed, not their outcome)
    maxWorkers: 2,
  },
});

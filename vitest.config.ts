import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/dist/**', '**/node_modules/**'],
    // One file at a time: the cluster tests start a real etcd and real node processes, and CI is a
    // 2-core machine; running files in parallel makes timing-sensitive tests (failover within
    // TTL + 1 s) flaky for no gain.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The summary reporter prints `N passed, N failed[, N skipped]` as the last line for CI to count.
    reporters: ['default', './test/reporter/summary-reporter.ts'],
  },
});

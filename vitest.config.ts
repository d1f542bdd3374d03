import { defineConfig } from 'vitest/config';

// One vitest process for the whole workspace; each package keeps its own vitest.config.ts so a
// per-package `vitest run` works too. The count reporter prints the closing "N passed, N failed" line CI reads.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'tools'],
    reporters: ['default', './tools/vitest-count-reporter.ts'],
  },
});

import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'compare', include: ['src/**/*.test.ts'], testTimeout: 60_000 },
});

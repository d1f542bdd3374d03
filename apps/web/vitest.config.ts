import { defineProject } from 'vitest/config';

// The E2E suite drives Debian's chromium against `vite preview` of dist/ (built by `pnpm build`).
export default defineProject({
  test: { name: 'web', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});

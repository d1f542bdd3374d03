import { fileURLToPath } from 'node:url';

/** The package's `fixtures/` folder; the same relative place from `src/goldens/` and `dist/goldens/`. */
export const fixturesDir: string = fileURLToPath(new URL('../../fixtures/', import.meta.url));

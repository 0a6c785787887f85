// One vitest run for the whole monorepo: unit tests next to the code, cross-process tests in test/.
// The global setup starts a throwaway Postgres (unless TOLLGATE_TEST_PG_URL is set) for store tests.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    globalSetup: ['test/support/postgres.ts'],
    // PGlite boots a WASM Postgres (1-3 s) and some tests start servers: be generous.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

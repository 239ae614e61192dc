import { defineConfig } from 'vitest/config';

// Unit and integration tests under Node. Playwright specs (e2e/) are not Vitest's.
export default defineConfig({
  test: {
    include: [
      'core/test/**/*.test.ts',
      'sync-server/test/**/*.test.ts',
      'renderer/test/**/*.test.ts',
      'electron/test/**/*.test.ts',
      'build/test/**/*.test.ts',
    ],
    // Builds the compiled relay the tests start (sync-server/test/global-setup.ts).
    globalSetup: ['sync-server/test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

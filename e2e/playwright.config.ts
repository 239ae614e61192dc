// End-to-end tests: the real renderer (built once by the global setup) in Debian's Chromium,
// against real relay processes (e2e/fixtures/relay.ts). `npm run e2e`.
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium.mjs';

export default defineConfig({
  testDir: '.',
  globalSetup: './fixtures/global-setup.ts',
  outputDir: './.artifacts/test-results',
  // Two cores shared with everything else: one worker, files in order.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  projects: [
    {
      name: 'chromium',
      testMatch: '*.spec.ts',
      // The Electron suite launches the desktop app itself (project below).
      testIgnore: 'electron/**',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: CHROMIUM_PATH,
          // A fake microphone that needs no permission prompt (voice messages, files.spec.ts).
          args: [
            ...CHROMIUM_ARGS,
            '--use-fake-ui-for-media-stream',
            '--use-fake-device-for-media-stream',
          ],
        },
        screenshot: 'only-on-failure',
        trace: 'off',
      },
    },
    {
      // Needs the Electron binary; its specs skip themselves, with the reason, where it is missing.
      name: 'electron',
      testMatch: 'electron/**/*.spec.ts',
    },
  ],
});

import { defineConfig } from '@playwright/test'

// Debian's Chromium, never a downloaded browser. The background-networking flags keep it
// from calling home (this machine has no internet; those calls would only fail and slow it).
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
]

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-artifacts/playwright',
  globalSetup: './e2e/global-setup.ts',
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    // Set by global-setup before the test workers start.
    baseURL: process.env.E2E_BASE_URL,
    locale: 'he-IL',
    timezoneId: 'Asia/Jerusalem',
    viewport: { width: 1280, height: 860 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: { executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: CHROMIUM_ARGS },
  },
})

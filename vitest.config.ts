import { defineConfig, mergeConfig } from 'vitest/config'
import viteConfig from './vite.config.js'

export default mergeConfig(viteConfig, defineConfig({
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
    // Generous: typing into jsdom is slow on a busy 2-core CI machine; the tests wait for
    // what a user would see, never for a fixed time.
    testTimeout: 30_000,
  },
}))

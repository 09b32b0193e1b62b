import { defineConfig } from '@playwright/test';
import { findChromium } from './scripts/find-chromium.mjs';

// GPU and end-to-end tests run in real headless Chromium; WebGPU comes from SwiftShader when
// there is no GPU. The Vite dev server serves the app and the GPU test harness.
const executablePath = findChromium();
const port = Number(process.env.E2E_PORT ?? 5178);

export default defineConfig({
  testDir: 'e2e',
  timeout: 600_000,
  expect: { timeout: 30_000 },
  workers: process.env.CI ? 1 : 2,
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath,
      args: [
        '--enable-unsafe-webgpu',
        '--enable-features=Vulkan',
        '--use-angle=swiftshader',
        '--no-sandbox',
        '--disable-gpu-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  webServer: {
    command: `npx vite --port ${port} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: !process.env.CI,
    env: { STUDIO_TEST: '1' },
    timeout: 120_000,
  },
});

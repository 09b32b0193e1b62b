// Without WebGPU the studio must still render and say what to do (a separate file, because a
// different browser launch needs its own Playwright worker).
import { shot } from './studio-shots';
import { test, expect } from '@playwright/test';
import { findChromium } from '../scripts/find-chromium.mjs';

test.use({ launchOptions: { executablePath: findChromium(), args: ['--disable-blink-features=WebGPU', '--no-sandbox'] } });

test('without WebGPU the studio says what to do instead of showing a blank page', async ({ page }) => {
  await page.goto('/');
  const error = page.getByTestId('gpu-error');
  await expect(error).toContainText('WebGPU is not available in this browser');
  await expect(error).toContainText('--enable-unsafe-webgpu');
  await expect(page.getByTestId('device-card')).toContainText('No GPU');
  // The rest of the studio still works.
  await page.getByRole('tab', { name: /Method/ }).click();
  await expect(page.getByRole('radio', { name: 'RTN' })).toBeChecked();
  await page.screenshot({ path: shot('studio-no-webgpu') });
});

// TesseraQ through the studio from an autorun link, with tiny settings: the run finishes, and
// Inspect shows its per-block rounding report and loss curves.
import { test, expect } from '@playwright/test';
import { shot } from './studio-shots';

test.setTimeout(900_000);

test('TesseraQ from an autorun link: rounding report and loss curves in Inspect', async ({ page }) => {
  page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
  await page.goto('/?method=tesseraq&bits=3&calibSamples=2&seqLen=32&evalWindows=2&tqIters=2&tqBatch=2&autorun=1');
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  // autorun is consumed: the address bar no longer carries it, so a reload does not rerun.
  await expect(page).not.toHaveURL(/autorun/);
  // Progress inside the phase: which block, round and iteration, and the bar fills during it.
  const count = progress.getByTestId('phase-count-tesseraq');
  await expect(count).toHaveText(/^block [1-5] of 5 · round \d+ of 10 · iteration [12] of 2$/, { timeout: 600_000 });
  const bar = progress.getByRole('progressbar', { name: 'TesseraQ rounding' });
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 600_000 }).toBeGreaterThan(0);
  expect(await progress.getAttribute('data-status')).toBe('running');
  await expect(progress.getByTestId('run-remaining')).toHaveText(/remaining about \d/);
  await page.screenshot({ path: shot('studio-running-tesseraq') });
  await expect(progress).toHaveAttribute('data-status', /done|failed|cancelled/, { timeout: 800_000 });
  await expect(progress).toHaveAttribute('data-status', 'done');
  await page.screenshot({ path: shot('studio-run-tesseraq'), fullPage: true });
  await page.getByTestId('run-result').getByRole('button', { name: 'Inspect' }).click();
  const card = page.getByTestId('tesseraq-card');
  await expect(card.locator('tbody tr')).toHaveCount(5);
  for (const text of await card.locator('tbody tr td:nth-child(4)').allInnerTexts()) expect(text).toMatch(/^\d+\.\d\d%$/);
  // AWQ initialisation leaves its scales, shown as heatmaps.
  await expect(page.getByTestId('scales-card')).toContainText('AWQ scales');
  await page.screenshot({ path: shot('studio-inspect-tesseraq'), fullPage: true });
});

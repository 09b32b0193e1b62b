// A large uploaded text (issue 18: 50 MB froze the page for 42 s, then was tokenized again at run
// start): the page answers while the worker tokenizes it in pieces, progress shows, Cancel stops
// it, and the run uses the ids counted in Data instead of tokenizing again.
import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';

/** TinyStories repeated to about 4 MB (a few seconds of tokenizing; the fix is the same at 50 MB). */
function largeText(): Buffer {
  const stories = readFileSync('public/data/tinystories_val.txt', 'utf8');
  return Buffer.from(Array.from({ length: 5 }, () => stories).join('\n\n'));
}

/** How long a 0 ms timer takes to fire on the page's main thread (a frozen page: seconds). */
const timerDelay = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const t0 = performance.now();
        setTimeout(() => resolve(performance.now() - t0), 0);
      }),
  );

const percent = async (page: Page) => Number(/\((\d+)%\)/.exec(await page.getByTestId('text-progress').innerText())?.[1] ?? NaN);

test('a 4 MB upload: the page answers while it is tokenized, progress shows, Cancel stops it, and the run reuses the ids', async ({ page }) => {
  page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
  await page.goto('/?method=rtn&seqLen=64&calibSamples=2&evalWindows=2');
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
  await page.getByRole('tab', { name: /Data/ }).click();
  await page.getByRole('radio', { name: 'Your text' }).check();
  const text = largeText();
  await page.getByLabel('Upload a .txt file…').setInputFiles({ name: 'big.txt', mimeType: 'text/plain', buffer: text });
  // The file is not put into the page: no textarea holds it.
  await expect(page.getByTestId('custom-file')).toContainText('big.txt');
  await expect(page.getByLabel('Paste text')).toHaveCount(0);

  const counting = page.getByTestId('text-counting');
  await expect(counting).toBeVisible();
  await expect(page.getByTestId('text-progress')).toHaveText(/^[\d.]+ k? ?(M )?of 3\.\d\d M characters \(\d+%\)$/);
  // While it counts, the page answers: a timer fires at once and a field takes a new value.
  expect(await timerDelay(page)).toBeLessThan(500);
  const samples = page.getByLabel('Calibration samples');
  await samples.fill('3');
  await expect(samples).toHaveValue('3');
  await expect(counting).toBeVisible();

  // Cancel stops the tokenizing (the worker pauses between pieces of 64k characters, so it hears it).
  await counting.getByRole('button', { name: 'Cancel' }).click();
  await expect(counting).toHaveCount(0, { timeout: 10_000 });
  await expect(page.getByRole('alert')).toContainText('Tokenizing the text was cancelled');

  // Counted again to the end, with progress that moves; the ids are kept, and the run uses them
  // without tokenizing again.
  await page.getByRole('button', { name: 'Count tokens' }).click();
  await expect(page.getByTestId('text-progress')).toBeVisible();
  const first = await percent(page);
  await expect.poll(() => percent(page), { timeout: 60_000, intervals: [200] }).toBeGreaterThan(first);
  expect(await timerDelay(page)).toBeLessThan(500);
  const stats = page.getByTestId('text-stats');
  await expect(stats).toBeVisible({ timeout: 180_000 });
  await expect(page.getByTestId('text-cap')).toContainText('Tokenized once: runs reuse these ids');
  const calibTokens = (await page.getByTestId('calib-tokens').innerText()).trim();
  const evalTokens = (await page.getByTestId('eval-tokens').innerText()).trim();

  await page.getByRole('tab', { name: /Run/ }).click();
  await page.getByRole('button', { name: 'Start run' }).click();
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  await progress.getByText(/^Engine log/).click();
  await expect(progress).toContainText(`Token ids reused: ${calibTokens} calibration and ${evalTokens} evaluation tokens, counted once in Data`);
});

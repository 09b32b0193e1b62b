// A TesseraQ run interrupted by a page reload after its first block checkpoint: the studio offers
// it under "Unfinished runs", Resume finishes it, and its perplexity equals an uninterrupted run's
// of the same config to the printed digits. The test waits for the checkpoint record itself (a
// finished block), never for a time: on a slow machine the engine's in-block checkpoint (every
// 30 s inside a block) can come first, and another one can come after the first finished block.
// The same test is the TesseraQ path through the studio: the first run comes from an autorun link,
// which is consumed, and Inspect of the uninterrupted run shows the per-block rounding report and
// AWQ's scales (a separate test would pay for one more TesseraQ run: minutes on SwiftShader).
import { confirmAutorun } from './autorun-confirm';
import { test, expect, type Page } from '@playwright/test';
import { shot } from './studio-shots';
import { storedBlocks } from './checkpoint-records';

// A hang guard only: on a heavily loaded 2-core machine two TesseraQ runs on SwiftShader take over 15 minutes.
test.setTimeout(1_800_000);

const CONFIG = 'method=tesseraq&bits=3&calibSamples=2&seqLen=32&evalWindows=2&tqIters=2&tqBatch=2';

async function deleteDatabase(page: Page, name: string) {
  await page.evaluate(
    (n) =>
      new Promise((res) => {
        const r = indexedDB.deleteDatabase(n);
        r.onsuccess = r.onerror = r.onblocked = res;
      }),
    name,
  );
}

/** Waits for the run to finish and returns its quantized perplexity as printed. */
async function finishedPpl(page: Page): Promise<string> {
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-status', /done|failed|cancelled/, { timeout: 800_000 });
  await expect(progress).toHaveAttribute('data-status', 'done');
  const text = await page.getByTestId('run-result').innerText();
  const m = /Perplexity\s+\S+\s+\(fp32\)\s+→\s+(\S+)/.exec(text);
  if (!m) throw new Error(`no perplexity in: ${text}`);
  return m[1];
}

test('a TesseraQ run from an autorun link, interrupted by a reload, resumes from its checkpoint and matches an uninterrupted run; Inspect shows its rounding report', async ({
  page,
}) => {
  page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
  await page.goto('/');
  await deleteDatabase(page, 'webgpu-quant-studio-checkpoints');
  await page.goto(`/?${CONFIG}&autorun=1`);
  await confirmAutorun(page);
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  // autorun is consumed: the address bar no longer carries it, so a reload does not rerun.
  await expect(page).not.toHaveURL(/autorun/);
  // Progress inside the phase: which block, round and iteration, and the bar fills during it.
  const progress = page.getByTestId('run-progress');
  await expect(progress.getByTestId('phase-count-tesseraq')).toHaveText(/^block [1-5] of 5 · round \d+ of 10 · iteration [12] of 2$/, { timeout: 600_000 });
  const bar = progress.getByRole('progressbar', { name: 'TesseraQ rounding' });
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 600_000 }).toBeGreaterThan(0);
  await expect(progress.getByTestId('run-remaining')).toHaveText(/remaining about \d/);
  await page.screenshot({ path: shot('studio-running-tesseraq') });
  // One record per run: it holds 0 finished blocks until block 0 is done (in-block checkpoints).
  await expect.poll(async () => Math.max(-1, ...(await storedBlocks(page))), { timeout: 600_000, intervals: [1000] }).toBeGreaterThanOrEqual(1);
  const blocks = await storedBlocks(page);
  expect(blocks.length).toBe(1);
  expect(blocks[0]).toBeGreaterThanOrEqual(1);

  // The reload ends the worker mid-run; the studio comes back with the config but no autorun.
  await page.reload();
  await expect(page).not.toHaveURL(/autorun/);
  await page.getByRole('tab', { name: /Run/ }).click();
  const unfinished = page.getByTestId('unfinished-runs');
  await expect(unfinished.locator('li')).toHaveCount(1, { timeout: 60_000 });
  await expect(unfinished.locator('li')).toContainText(/TesseraQ/);
  await expect(unfinished.locator('li')).toContainText(/[1-9]\d* blocks done · resumes (after block \d|in block [1-9]\d* after round \d)/);
  const resume = unfinished.getByRole('button', { name: 'Resume' });
  await expect(resume).toBeEnabled({ timeout: 120_000 });
  await resume.click();
  const resumed = await finishedPpl(page);
  await expect(page.getByTestId('run-progress')).toContainText(/Resuming from the checkpoint (after block \d|in block [1-9]\d* after round \d)/);
  // A finished run's checkpoint is deleted: nothing is offered any more.
  await expect(page.getByTestId('unfinished-runs')).toHaveCount(0);

  // The same config from the start, uninterrupted.
  await page.getByRole('button', { name: 'Start run' }).click();
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-status', 'running');
  const uninterrupted = await finishedPpl(page);
  expect(resumed).toBe(uninterrupted);

  // Inspect the uninterrupted run: TesseraQ's rounding report per block, and AWQ's scales from its
  // initialisation shown as heatmaps.
  await page.screenshot({ path: shot('studio-run-tesseraq'), fullPage: true });
  await page.getByTestId('run-result').getByRole('button', { name: 'Inspect' }).click();
  const card = page.getByTestId('tesseraq-card');
  await expect(card.locator('tbody tr')).toHaveCount(5);
  for (const text of await card.locator('tbody tr td:nth-child(4)').allInnerTexts()) expect(text).toMatch(/^\d+\.\d\d%$/);
  await expect(page.getByTestId('scales-card')).toContainText('AWQ scales');
  await page.screenshot({ path: shot('studio-inspect-tesseraq'), fullPage: true });

  // Teach opens on the group of the first layer with the most codes off round-to-nearest, so its
  // third step shows TesseraQ's flips.
  await page.getByRole('tab', { name: /Teach/ }).click();
  await expect(page.getByTestId('teach-pick')).toContainText(/the most codes off round-to-nearest \([1-9]\d* flips\)/, { timeout: 60_000 });
  await page.getByRole('list', { name: 'Steps' }).getByRole('button', { name: '3. Codes vs nearest' }).click();
  await expect(page.getByTestId('teach-explanation')).toContainText(/stored [1-9]\d* of \d+ entries on a level other than the nearest/);
});

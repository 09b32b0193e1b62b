// GPTQ through the studio from autorun links, with tiny settings (and PyTorch's window draws): the runs finish, and Inspect
// shows its per-layer error before and after error feedback and the Hessian diagonals as heatmaps,
// and Teach walks one of its act-order groups; for TEQ then GPTQ it says whether TEQ's scales were kept.
import { confirmAutorun } from './autorun-confirm';
import { test, expect } from '@playwright/test';
import { shot } from './studio-shots';

test.setTimeout(900_000);

test('GPTQ (act-order) from an autorun link: error feedback report and Hessian diagonals in Inspect', async ({ page }) => {
  page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
  await page.goto('/?method=gptq&bits=3&calibSamples=4&seqLen=32&evalWindows=2&gptqActOrder=1&gptqBlockSize=32&calibDraw=torch&autorun=1');
  // GPTQ is a long-running method: a link asks first (no run has been timed in this fresh browser).
  await confirmAutorun(page);
  // the link's window draw reaches the run (PyTorch's: the reference-results windows)
  await expect(page.getByText('seed 0 (windows drawn as torch draws them)')).toBeVisible();
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  await expect(progress).toHaveAttribute('data-status', /done|failed|cancelled/, { timeout: 800_000 });
  await expect(progress).toHaveAttribute('data-status', 'done');
  await page.getByTestId('run-result').getByRole('button', { name: 'Inspect' }).click();
  const card = page.getByTestId('gptq-card');
  // stories260K: five blocks, one row each
  await expect(card.locator('tbody tr')).toHaveCount(5);
  for (const text of await card.locator('tbody tr td:nth-child(4)').allInnerTexts()) expect(text).toMatch(/^\d+\.\d%$/);
  await expect(card).toContainText('act-order');
  // one Hessian-diagonal heatmap per true-sequential set, five blocks each, over its input width
  for (const [set, width] of [
    ['q', 64],
    ['o', 64],
    ['gate', 64],
    ['down', 172],
  ] as const) {
    await expect(page.getByTestId(`hessian-${set}`)).toContainText(`${set}: 5 blocks × ${width} channels`);
  }
  await page.screenshot({ path: shot('studio-inspect-gptq'), fullPage: true });
  // Teach walks an act-order group: the input columns its g_idx names, not a run of consecutive ones
  await page.getByRole('tab', { name: /Teach/ }).click();
  await expect(page.getByLabel('Layer')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByLabel('Layer').locator('option').first()).toContainText('act-order');
  await page.getByLabel(/^Group/).fill('1');
  await expect(page.getByTestId('teach-explanation')).toContainText(/the 32 columns of act-order group 1 \(\d+(, \d+){7}, … 24 more\)/);
  await expect(page.getByTestId('grid-level')).toHaveCount(8);
});

test('TEQ then GPTQ from an autorun link: Inspect says whether TEQ’s scales were kept against GPTQ alone', async ({ page }) => {
  page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
  // 8 windows, one of them held out of TEQ's training: both GPTQ results are scored on it
  await page.goto('/?method=teq%2Bgptq&bits=3&calibSamples=8&seqLen=32&evalWindows=2&steps=2&teqLoss=lm&autorun=1');
  await confirmAutorun(page);
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  await expect(progress).toHaveAttribute('data-status', /done|failed|cancelled/, { timeout: 800_000 });
  await expect(progress).toHaveAttribute('data-status', 'done');
  await page.getByTestId('run-result').getByRole('button', { name: 'Inspect' }).click();
  await expect(page.getByTestId('teq-gptq-choice')).toContainText(
    /^TEQ’s scales (kept|dropped: these are GPTQ’s codes without them): held-out loss \d+\.\d{5} with TEQ’s scales, \d+\.\d{5} without, on 1 calibration windows/,
  );
});

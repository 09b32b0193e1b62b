// One RTN W4 g32 run in the studio serves two tests (a run, its page start and its pipelines cost
// a minute or more on SwiftShader):
// - Teach: the grid of a 4-bit group has 16 levels, every step's sentence carries the run's
//   numbers, RTN stores every entry at its nearest level (0 flips), and step 4 names the layer's
//   relative output error from the run.
// - Export: Inspect offers every format with what it holds, the ONNX export is scored in
//   onnxruntime-web (WASM) on the run's windows and matches the studio's quantized perplexity, and a
//   GGUF export downloads (the fallback without a file picker).
import { test, expect, type Page } from '@playwright/test';
import { shot } from './studio-shots';

test.describe.configure({ mode: 'serial' });
test.setTimeout(600_000);

let page: Page;

test.beforeAll(async ({ browser }, testInfo) => {
  testInfo.setTimeout(600_000);
  const { baseURL } = testInfo.project.use;
  page = await browser.newPage({ baseURL, viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
  // No File System Access pickers: the studio falls back to downloads.
  await page.addInitScript(() => {
    delete (window as unknown as Record<string, unknown>).showSaveFilePicker;
    delete (window as unknown as Record<string, unknown>).showDirectoryPicker;
  });
  await page.goto('/?method=rtn&bits=4&groupSize=32&calibSamples=2&seqLen=64&evalWindows=2&autorun=1');
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-status', /done|failed|cancelled/, { timeout: 500_000 });
  await expect(progress).toHaveAttribute('data-status', 'done');
});

test.afterAll(async () => {
  await page?.close();
});

test('teach walks one group of an RTN run in four steps', async () => {
  await page.getByRole('tab', { name: /Teach/ }).click();
  await expect(page.getByLabel('Layer')).toBeVisible({ timeout: 30_000 });
  // RTN flips nothing: Teach says so rather than opening on a group that looks like any other.
  await expect(page.getByTestId('teach-pick')).toContainText('no flips');
  await page.getByLabel(/^Row/).fill('3');
  await page.getByLabel(/^Group/).fill('1');
  const explanation = page.getByTestId('teach-explanation');
  await expect(explanation).toContainText('Row 3, columns 32–63');
  await expect(page.getByTestId('grid-level')).toHaveCount(16);
  await expect(explanation).toContainText('16 levels');
  await expect(explanation).toHaveText(/-?\d+\.\d+/);
  await page.screenshot({ path: shot('studio-teach-1'), fullPage: true });

  const next = page.getByRole('button', { name: 'Next →' });
  await next.click();
  await expect(page.getByTestId('teach-step')).toHaveAttribute('data-step', '2');
  await expect(explanation).toContainText('did not rescale');

  // Keyboard: Next is focused after the click; Enter moves on.
  await next.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('teach-step')).toHaveAttribute('data-step', '3');
  await expect(explanation).toContainText('All 32 entries are stored at their nearest level (0 flips)');
  await expect(page.getByTestId('teach-codes')).toBeVisible();
  await page.screenshot({ path: shot('studio-teach-3'), fullPage: true });

  await next.click();
  await expect(page.getByTestId('teach-step')).toHaveAttribute('data-step', '4');
  await expect(explanation).toContainText('relative output error');
  await expect(explanation).toHaveText(/error .* of \d/);
  await expect(explanation).toContainText('round-to-nearest itself');
  await expect(next).toBeDisabled();
  // Step 4's picture is the error per weight, not step 3's grid again.
  await expect(page.getByTestId('teach-error-plot')).toBeVisible();
  await expect(page.getByTestId('teach-grid')).toHaveCount(0);
  await expect(page.getByTestId('teach-error-plot').locator('rect')).toHaveCount(64);
  await page.screenshot({ path: shot('studio-teach-4'), fullPage: true });
  // The step titles are buttons: a click opens that step.
  const steps = page.getByRole('list', { name: 'Steps' });
  await steps.getByRole('button', { name: '1. Weights on the grid' }).click();
  await expect(page.getByTestId('teach-step')).toHaveAttribute('data-step', '1');
  await expect(steps.getByRole('button', { name: '1. Weights on the grid' })).toHaveAttribute('aria-current', 'step');
  await steps.getByRole('button', { name: '4. Output error' }).click();
  await expect(page.getByTestId('teach-step')).toHaveAttribute('data-step', '4');

  await page.getByRole('button', { name: '← Back' }).click();
  await expect(page.getByTestId('teach-step')).toHaveAttribute('data-step', '3');

  // Inspect: the per-layer error heatmap names its blocks on the side and its axes; a click on a
  // cell of block 3 (row 4 of 5, the last column) opens that layer in Teach.
  await page.getByRole('tab', { name: /Inspect/ }).click();
  const errors = page.locator('.card', { hasText: 'Per-layer error' });
  await expect(errors.getByTestId('heatmap-row-labels').locator('span')).toHaveText(['0', '1', '2', '3', '4']);
  await expect(errors.locator('.heatmap-row-axis')).toHaveText('block');
  await expect(errors.locator('.heatmap-col-axis')).toHaveText('layer');
  // Legends of the line charts show the latest values when nothing is hovered, never rows of "--".
  const legend = page.locator('.card', { hasText: 'Per-block output error' }).locator('.u-legend');
  await expect(legend).toContainText('latest');
  await expect(legend).not.toContainText('--');
  await page.screenshot({ path: shot('studio-inspect-rtn'), fullPage: true });
  const heat = errors.locator('canvas[data-rows="5"][data-cols="7"]');
  const box = (await heat.boundingBox())!;
  const cell = { x: (box.width * 6.5) / 7, y: (box.height * 3.5) / 5 };
  await heat.hover({ position: cell });
  const readout = errors.locator('.readout');
  await expect(readout).toContainText('click to open this layer in Teach');
  const column = /^block 3, (\w+):/.exec(await readout.innerText())![1];
  await heat.click({ position: cell });
  await expect(page.getByRole('heading', { level: 2 })).toHaveText('Teach');
  await expect(page.getByLabel('Layer')).toHaveValue(new RegExp(`layers\\.3\\..*${column}$`), { timeout: 30_000 });
});

test('export after a run: ONNX checked in onnxruntime-web, GGUF downloaded', async () => {
  await page.getByRole('tab', { name: /Run/ }).click();
  await page.getByTestId('run-result').getByRole('button', { name: 'Inspect' }).click();
  await page.getByRole('button', { name: 'Check ONNX in onnxruntime-web (WASM)' }).click();
  await expect(page.getByTestId('onnx-check')).toContainText('within', { timeout: 120_000 });
  // The line says which execution provider scored it.
  await expect(page.getByTestId('onnx-check')).toContainText('onnxruntime-web (WASM) perplexity');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: /GGUF/ }).click();
  expect((await download).suggestedFilename()).toMatch(/\.gguf$/);
  await expect(page.getByTestId('export-report')).toContainText('.gguf');
  // A folder without a folder picker arrives as downloads with the folder's name as a prefix: the
  // line names the files as they arrived.
  const firstFile = page.waitForEvent('download');
  await page.getByRole('button', { name: 'GPTQ safetensors folder (transformers, vLLM)' }).click();
  const arrived = (await firstFile).suggestedFilename();
  const prefix = /^(.*-gptq-4bit-)/.exec(arrived)![1];
  const report = page.getByTestId('export-report');
  await expect(report).toContainText(`${prefix}config.json`);
  await expect(report).toContainText('downloaded one by one');
  await expect(report).not.toContainText('Wrote config.json');
  await page.screenshot({ path: shot('studio-export'), fullPage: true });
});

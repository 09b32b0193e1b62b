// Export from the studio: after an RTN W4 g32 run, Inspect offers every format with what it holds,
// the ONNX export is scored in onnxruntime-web (WASM) on the run's windows and matches the studio's
// quantized perplexity, and a GGUF export downloads (the fallback without a file picker).
import { test, expect } from '@playwright/test';
import { shot } from './studio-shots';

test.setTimeout(600_000);

test('export after a run: ONNX checked in onnxruntime-web, GGUF downloaded', async ({ page }) => {
  page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
  // No File System Access pickers in this test: the studio falls back to downloads.
  await page.addInitScript(() => {
    delete (window as unknown as Record<string, unknown>).showSaveFilePicker;
    delete (window as unknown as Record<string, unknown>).showDirectoryPicker;
  });
  await page.goto('/?method=rtn&bits=4&groupSize=32&calibSamples=2&seqLen=64&evalWindows=2&autorun=1');
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-status', /done|failed|cancelled/, { timeout: 500_000 });
  await expect(progress).toHaveAttribute('data-status', 'done');
  await page.getByTestId('run-result').getByRole('button', { name: 'Inspect' }).click();
  await page.getByRole('button', { name: 'Check ONNX in onnxruntime-web (WASM)' }).click();
  await expect(page.getByTestId('onnx-check')).toContainText('within', { timeout: 120_000 });
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: /GGUF/ }).click();
  expect((await download).suggestedFilename()).toMatch(/\.gguf$/);
  await expect(page.getByTestId('export-report')).toContainText('.gguf');
  await page.screenshot({ path: shot('studio-export'), fullPage: true });
});

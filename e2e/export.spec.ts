// Exports leave the browser as files: the download fallback (no File System Access API needed)
// triggers one download per file of a folder export, with the folder name as prefix and the same
// bytes the exporter wrote (checked inside the page against the memory sink).
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';

test('export: the download fallback saves every file of a GPTQ folder', async ({ page }) => {
  await page.goto('/e2e/harness.html');
  await expect(page.locator('#log')).toHaveText('ready');
  const downloads: { name: string; bytes: number }[] = [];
  page.on('download', async (d) => {
    const path = await d.path();
    downloads.push({ name: d.suggestedFilename(), bytes: readFileSync(path).byteLength });
  });
  const results = await page.evaluate(() =>
    (window as any).gpuHarness.runModule('export/sink.gpu-test.ts', 'download fallback: Blob files, then one download per file'),
  );
  expect(results.map((r: { ok: boolean; error?: string }) => r.error ?? 'ok')).toEqual(['ok']);
  await expect.poll(() => downloads.length).toBe(5);
  const names = downloads.map((d) => d.name).sort();
  expect(names).toEqual(
    ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].map((n) => `stories260K-gptq-${n}`),
  );
  expect(downloads.find((d) => d.name.endsWith('model.safetensors'))!.bytes).toBeGreaterThan(100_000);
});

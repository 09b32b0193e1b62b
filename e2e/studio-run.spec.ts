// A person's whole path on the bundled model, with small step counts so SwiftShader finishes:
// load stories260K, run RTN W4 and TEQ W3, see scale heatmaps and the compare table, find both
// runs in History after a reload, and reproduce a run from its autorun link with the same JSON.
import { confirmAutorunIfAsked } from './autorun-confirm';
import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { shot } from './studio-shots';

test.setTimeout(900_000);

const SMALL = 'calibSamples=4&seqLen=64&evalWindows=4';

function logBrowserErrors(page: Page) {
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`[browser] ${m.text()}`);
  });
  page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
}

async function clearHistory(page: Page) {
  await page.evaluate(
    () =>
      new Promise((res) => {
        const r = indexedDB.deleteDatabase('webgpu-quant-studio');
        r.onsuccess = r.onerror = r.onblocked = res;
      }),
  );
}

/**
 * A run started from Run; `expected` is what Run says of its time before it starts; `estimateWithin`
 * (ms): the time left is estimated within it of the start.
 */
async function runAndWait(page: Page, expected: RegExp, estimateWithin?: number) {
  await page.getByRole('tab', { name: /Run/ }).click();
  await expect(page.getByTestId('memory-plan')).toContainText(/GPU memory: about [\d.]+ (KiB|MiB)/);
  await expect(page.getByTestId('expected-time')).toHaveText(expected);
  await page.getByRole('button', { name: 'Start run' }).click();
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-status', 'running');
  // With the speed an earlier run measured, the whole run is planned from its start.
  if (estimateWithin) await expect(progress.getByTestId('run-remaining')).toHaveText(/remaining about \d/, { timeout: estimateWithin });
  await expect(progress).toHaveAttribute('data-status', /done|failed|cancelled/, { timeout: 600_000 });
  await expect(progress).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('run-result')).toContainText('Perplexity');
}

async function downloadJson(page: Page, buttonName: string | RegExp): Promise<Record<string, unknown>> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: buttonName }).click()]);
  return JSON.parse(readFileSync(await download.path(), 'utf8'));
}

/**
 * The outcome of a run without what belongs to one execution: its id and times, seconds per phase,
 * and measured GPU memory peaks (these depend on what the worker had cached, e.g. a reused fp32
 * perplexity skips that phase). The memory plan stays: it depends only on the config.
 */
function outcome(run: Record<string, unknown>) {
  const { id: _id, createdAt: _c, finishedAt: _f, seconds: _s, memory, ...rest } = run;
  return { ...rest, plannedMemory: (memory as { planned?: unknown } | undefined)?.planned };
}

test('bundled model: RTN W4 and TEQ W3, inspect, compare, history, reproducible link', async ({ page, context }) => {
  logBrowserErrors(page);
  await page.goto('/');
  await clearHistory(page);
  await page.goto(`/?${SMALL}`);

  // Model: the bundled stories260K loads by itself and is summarised.
  const summary = page.getByTestId('model-summary');
  await expect(summary).toContainText('stories260K', { timeout: 60_000 });
  await expect(summary).toContainText('LLaMA family');
  // 2 x 512x64 embeddings/head + 5 blocks x (q 64x64, k,v 32x64, o 64x64, 3 MLP 172x64, 2 norms 64) + final norm 64.
  const params = 2 * 512 * 64 + 5 * (4096 + 2048 + 2048 + 4096 + 3 * 172 * 64 + 2 * 64) + 64;
  expect(params).toBe(292_800);
  await expect(summary.getByTestId('model-parameters')).toHaveText('292.8 k');

  // Data: token counts for the TinyStories split, and the plan for 4 x 64 tokens.
  await page.getByRole('tab', { name: /Data/ }).click();
  const stats = page.getByTestId('text-stats');
  await expect(stats).toContainText('4 samples × 64 tokens = 256 tokens', { timeout: 60_000 });
  await expect(stats).toContainText('4 of');
  expect(Number((await stats.getByTestId('calib-tokens').innerText()).replace(/,/g, ''))).toBeGreaterThan(1000);
  await page.screenshot({ path: shot('studio-data') });

  // RTN W4.
  await page.getByRole('tab', { name: /Method/ }).click();
  await page.getByRole('radio', { name: 'RTN' }).check();
  await page.getByRole('radio', { name: 'W4' }).check();
  // The first run on this adapter: nothing measured its speed yet.
  await runAndWait(page, /^Expected time: known after a first run on this device \(a software adapter/);
  await page.screenshot({ path: shot('studio-run-rtn') });

  // TEQ W3, a few block-loss steps.
  await page.getByRole('tab', { name: /Method/ }).click();
  await page.getByRole('radio', { name: 'TEQ', exact: true }).check();
  await page.getByRole('radio', { name: 'W3' }).check();
  await page.getByLabel('TEQ steps').fill('4');
  // Scales start at 1 (the paper's init): the AWQ search that would start them costs minutes on SwiftShader.
  await page.getByLabel('Scale initialisation').selectOption('ones');
  // Every window trains and the last α is kept: with a held-out share, 4 steps from α = 1 could
  // keep the start, and the heatmap below checks scales that training moved.
  await page.getByLabel('Held-out share').fill('0');
  // Planned from this run's work at the speed the RTN run measured.
  await runAndWait(page, /^Expected time: about \d+(\.\d)? (s|min)/, 15_000);
  await page.screenshot({ path: shot('studio-run-teq'), fullPage: true });

  // Inspect the TEQ run: one scale row per block and group, painted.
  await page.getByRole('button', { name: 'Inspect' }).click();
  const scales = page.getByTestId('scales-card');
  await expect(scales).toContainText('TEQ scales');
  const heat = scales.locator('canvas').first();
  const rows = Number(await heat.getAttribute('data-rows'));
  const cols = Number(await heat.getAttribute('data-cols'));
  expect(rows).toBeGreaterThan(0);
  expect(cols).toBeGreaterThan(0);
  const distinct = await heat.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  });
  expect(distinct).toBeGreaterThan(3);
  await page.screenshot({ path: shot('studio-inspect-teq'), fullPage: true });

  // Compare: both runs with deltas; the method x bits table has RTN at W4 and TEQ at W3.
  await page.getByRole('tab', { name: /Compare/ }).click();
  const table = page.getByTestId('compare-table');
  await expect(table.locator('tbody tr')).toHaveCount(2);
  for (const d of await table.getByTestId('delta').allInnerTexts()) expect(d).toMatch(/^[+−]\d+\.\d{3}$/);
  const matrix = page.getByTestId('delta-matrix');
  await expect(matrix.getByRole('row', { name: /RTN/ }).locator('td').nth(2)).toHaveText(/^[+−]\d/);
  await expect(matrix.getByRole('row', { name: /TEQ/ }).locator('td').nth(1)).toHaveText(/^[+−]\d/);
  // Without hovering the chart: the run just finished with its Δ (the table's), and the method at each bit width.
  const teqDelta = await table.locator('tr', { hasText: 'TEQ W3' }).getByTestId('delta').innerText();
  await expect(page.getByTestId('current-run-delta')).toContainText(`This run: TEQ W3 g32 asym Δ ${teqDelta}`);
  await expect(page.getByTestId('best-w3')).toContainText('Best at W3: TEQ');
  await expect(page.getByTestId('best-w4')).toContainText('Best at W4: RTN');

  // Generation side by side from one prompt.
  const gen = page.getByTestId('generation');
  await gen.getByLabel('New tokens').fill('8');
  await gen.getByRole('button', { name: 'Generate' }).click();
  await expect(gen.getByTestId('gen-quant')).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  await expect(gen.getByTestId('gen-fp')).toHaveAttribute('data-status', 'done');
  expect((await gen.getByTestId('gen-fp').innerText()).length).toBeGreaterThan('Once upon a time'.length);
  await page.screenshot({ path: shot('studio-compare-live'), fullPage: true });

  // Reload: both runs are in History.
  await page.reload();
  await page.getByRole('tab', { name: /History/ }).click();
  const historyRows = page.getByTestId('history-table').locator('tbody tr');
  await expect(historyRows).toHaveCount(2);
  await expect(historyRows.nth(0)).toContainText('TEQ W3 g32 asym');
  await expect(historyRows.nth(1)).toContainText('RTN W4 g32 asym');
  const teqId = (await historyRows.nth(0).getAttribute('data-run-id'))!;
  const teqJson = await downloadJson(page, `Download TEQ W3 g32 asym (${teqId}) as JSON`);

  // The run's own config as a link with autorun=1 reproduces the same result in a fresh page.
  const config = teqJson.config as Record<string, string | number | boolean>;
  await page.getByRole('tab', { name: /Run/ }).click();
  const link = await page.getByTestId('repro-link').getAttribute('href');
  expect(link).toContain('autorun=1');
  expect(link).toContain('method=teq');
  const fresh = await context.newPage();
  logBrowserErrors(fresh);
  await fresh.goto(link!);
  await confirmAutorunIfAsked(fresh);
  const progress = fresh.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-status', /done|failed|cancelled/, { timeout: 600_000 });
  await expect(progress).toHaveAttribute('data-status', 'done');
  const againJson = await downloadJson(fresh, 'Download JSON');
  expect(againJson.config).toEqual(config);
  expect(againJson.id).not.toBe(teqJson.id);
  expect(outcome(againJson)).toEqual(outcome(teqJson));
});

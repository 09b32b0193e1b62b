// The README's screenshots: Run, Inspect, Compare and Teach at 1440 px and 390 px wide, after a
// few "Quick demo" runs on the bundled stories260K (RTN, GPTQ and TEQ at W4 and W3, TEQ W3 last so
// that Inspect and Teach show its learned scales). `npm run screenshots` writes docs/screenshots/.
import { test, expect, type Page } from '@playwright/test';

const OUT = 'docs/screenshots';
/** Tall windows rather than full-page shots: the sticky sidebar is drawn as a person sees it, and the files stay small. */
const SIZES = [
  { width: 1440, height: 1200 },
  { width: 390, height: 1800 },
];
const RUNS: { method: string; bits: number }[] = [
  { method: 'RTN', bits: 4 },
  { method: 'RTN', bits: 3 },
  { method: 'GPTQ', bits: 4 },
  { method: 'GPTQ', bits: 3 },
  { method: 'TEQ', bits: 4 },
  { method: 'TEQ', bits: 3 },
];

async function clearStorage(page: Page) {
  await page.evaluate(() =>
    Promise.all(
      ['webgpu-quant-studio', 'webgpu-quant-studio-checkpoints'].map(
        (name) =>
          new Promise((res) => {
            const r = indexedDB.deleteDatabase(name);
            r.onsuccess = r.onerror = r.onblocked = res;
          }),
      ),
    ),
  );
}

async function quickRun(page: Page, method: string, bits: number) {
  await page.getByRole('tab', { name: /Method/ }).click();
  await page.getByRole('radio', { name: method, exact: true }).check();
  await page.getByRole('radio', { name: `W${bits}` }).check();
  await page.getByRole('button', { name: 'Apply “Quick demo”' }).click();
  // More evaluation windows than the demo's 2: perplexity intervals narrow enough to read.
  await page.getByRole('tab', { name: /Data/ }).click();
  await page.getByLabel('Sequence length (tokens)').fill('64');
  await page.getByLabel('Evaluation windows').fill('16');
  await page.getByRole('tab', { name: /Run/ }).click();
  await page.getByRole('button', { name: 'Start run' }).click();
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-status', 'running');
  await expect(progress).toHaveAttribute('data-status', /done|failed|cancelled/, { timeout: 900_000 });
  await expect(progress).toHaveAttribute('data-status', 'done');
}

async function save(page: Page, section: string) {
  await page.getByRole('tab', { name: new RegExp(section) }).click();
  await expect(page.getByRole('heading', { level: 2 })).toHaveText(section);
  await page.evaluate(() => window.scrollTo(0, 0));
  // Inspect opens with the run's summary and export: its charts start at the scales.
  if (section === 'Inspect') await page.getByTestId('scales-card').evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 16));
  // Charts and heatmaps draw after layout; let them settle.
  await page.waitForTimeout(1000);
  // Down to the end of the section where it is shorter than the window.
  const { width, height } = page.viewportSize()!;
  const bottom = await page.locator('section[role="tabpanel"]').evaluate((el) => Math.ceil(el.getBoundingClientRect().bottom) + 24);
  await page.screenshot({ path: `${OUT}/${section.toLowerCase()}-${width}.png`, clip: { x: 0, y: 0, width, height: Math.min(height, bottom) } });
}

test('README screenshots', async ({ page }) => {
  page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
  await page.setViewportSize(SIZES[0]);
  await page.goto('/');
  await clearStorage(page);
  await page.reload();
  await expect(page.getByTestId('model-summary')).toContainText('stories260K', { timeout: 60_000 });
  for (const r of RUNS) {
    const started = Date.now();
    await quickRun(page, r.method, r.bits);
    console.log(`${r.method} W${r.bits}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  // Compare with text from both models side by side (kept while Compare stays open).
  await page.getByRole('tab', { name: /Compare/ }).click();
  const gen = page.getByTestId('generation');
  await gen.getByLabel('New tokens').fill('24');
  await gen.getByRole('button', { name: 'Generate' }).click();
  await expect(gen.getByTestId('gen-quant')).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  await expect(gen.getByTestId('gen-fp')).toHaveAttribute('data-status', 'done');
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await save(page, 'Compare');
  }
  for (const size of SIZES) {
    await page.setViewportSize(size);
    for (const section of ['Run', 'Inspect', 'Teach']) await save(page, section);
  }
});

// Every GPU test module under src/ runs in real headless Chromium (SwiftShader without a GPU).
// One harness page per worker serves all modules: the page, its Vite modules and its WebGPU device
// start once, and a pipeline compiled for one module (slow on SwiftShader) serves the next. Each
// module is still its own test with its own result; a test that fails or times out ends its
// worker, so the next module starts on a fresh page.
import { test as base, expect, type Page } from '@playwright/test';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function findGpuTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findGpuTests(p));
    else if (name.endsWith('.gpu-test.ts')) out.push(relative('src', p));
  }
  return out.sort();
}

const test = base.extend<object, { harness: Page }>({
  harness: [
    async ({ browser }, use, workerInfo) => {
      const { baseURL, viewport } = workerInfo.project.use;
      const context = await browser.newContext({ baseURL, viewport });
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') console.log(`[browser] ${m.text()}`);
      });
      await page.goto('/e2e/harness.html');
      await expect(page.locator('#log')).toHaveText('ready');
      await use(page);
      await context.close();
    },
    { scope: 'worker' },
  ],
});

for (const mod of findGpuTests('src')) {
  test(`gpu: ${mod}`, async ({ harness }) => {
    const results = await harness.evaluate((m) => (window as any).gpuHarness.runModule(m), mod);
    for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${Math.round(r.ms)} ms)`);
    const failed = results.filter((r: { ok: boolean }) => !r.ok);
    expect(failed.map((r: { name: string; error: string }) => `${r.name}: ${r.error}`)).toEqual([]);
    expect(results.length).toBeGreaterThan(0);
  });
}

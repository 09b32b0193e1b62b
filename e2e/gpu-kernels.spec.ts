// Every GPU test module under src/ runs in real headless Chromium (SwiftShader without a GPU).
import { test, expect } from '@playwright/test';
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

for (const mod of findGpuTests('src')) {
  test(`gpu: ${mod}`, async ({ page }) => {
    page.on('console', (m) => {
      if (m.type() === 'error') console.log(`[browser] ${m.text()}`);
    });
    await page.goto('/e2e/harness.html');
    await expect(page.locator('#log')).toHaveText('ready');
    const results = await page.evaluate((m) => (window as any).gpuHarness.runModule(m), mod);
    for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${Math.round(r.ms)} ms)`);
    const failed = results.filter((r: { ok: boolean }) => !r.ok);
    expect(failed.map((r: { name: string; error: string }) => `${r.name}: ${r.error}`)).toEqual([]);
    expect(results.length).toBeGreaterThan(0);
  });
}

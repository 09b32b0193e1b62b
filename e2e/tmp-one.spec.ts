import { test, expect } from '@playwright/test';
const MODS = (process.env.MODS ?? '').split(',');
for (const mod of MODS) {
  test(`gpu: ${mod}`, async ({ page }) => {
    test.setTimeout(1_500_000);
    page.on('console', (m) => { if (m.type() === 'error') console.log(`[browser] ${m.text()}`); });
    await page.goto('/e2e/harness.html');
    await expect(page.locator('#log')).toHaveText('ready', { timeout: 120_000 });
    const results = await page.evaluate(([m, o]) => (window as any).gpuHarness.runModule(m, o || undefined), [mod, process.env.ONLY ?? ''] as const);
    for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${Math.round(r.ms)} ms) ${r.ok ? '' : r.error}`);
    expect(results.filter((r: { ok: boolean }) => !r.ok).length).toBe(0);
  });
}

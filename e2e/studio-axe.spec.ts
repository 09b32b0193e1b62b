// axe-core (Deque's accessibility rules) on the first screen and on Inspect with a run: no
// violations at all, colour contrast (serious) and heading order (moderate) included.
import { test, expect, type Page } from '@playwright/test';
import { createRequire } from 'node:module';
import { chartsRun, fakeRun, heldOutRun } from './fake-run';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  nodes: { target: string[]; failureSummary: string }[];
}

async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  });
}

function describe(vs: AxeViolation[]): string {
  return vs.map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `  ${n.target.join(' ')}: ${n.failureSummary}`).join('\n')}`).join('\n');
}

test('axe finds nothing on the first screen', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('adapter-name')).toBeVisible();
  const vs = await axeViolations(page);
  expect(
    vs.map((v) => v.id),
    describe(vs),
  ).toEqual([]);
});

for (const [name, run, button] of [
  ['a TEQ run', fakeRun('run-axe', 'teq', 3, 12), /^Inspect TEQ W3/],
  ['a TEQ → TesseraQ run', chartsRun(), /^Inspect TEQ → TesseraQ W3/],
  ['a TEQ run with held-out choices', heldOutRun(), /^Inspect TEQ W3/],
] as const) {
  test(`axe finds nothing on Inspect with ${name}`, async ({ page }) => {
    await page.goto('/');
    await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
    await page.getByRole('tab', { name: /History/ }).click();
    await page.getByLabel('Import run JSON…').setInputFiles({ name: 'a.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(run)) });
    await expect(page.getByTestId('history-table')).toContainText(run.id);
    await page.getByRole('button', { name: button }).click();
    await expect(page.getByTestId('scales-card')).toBeVisible();
    if (run.id === 'run-heldout') {
      // each scored step against the α kept when it came; the near-tie (2.2 against a threshold of 2) is marked
      const rows = page.getByTestId('teq-decisions').locator('tbody tr');
      await expect(rows).toHaveCount(3);
      await expect(rows.nth(1)).toContainText('2.20 standard errors lower (a near-tie)');
      await expect(rows.nth(1)).toHaveClass('near-tie');
      await expect(rows.nth(2)).toContainText('0.40 standard errors lower');
      await expect(rows.nth(2)).not.toHaveClass('near-tie');
    }
    const vs = await axeViolations(page);
    expect(
      vs.map((v) => v.id),
      describe(vs),
    ).toEqual([]);
  });
}

// A full disk never loses a finished run: with every save to the run history failing as over its
// quota, the finished run stays listed in History (this tab only), says why, and downloads as JSON.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';

test.setTimeout(600_000);

test('a run finished while the history store is over its quota is kept in the tab, said so, and downloadable', async ({ page }) => {
  page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
  // Saves to the history store fail as a full disk makes them fail; reads still work.
  await page.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'runs') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    };
  });
  await page.goto('/?method=rtn&bits=4&groupSize=32&calibSamples=2&seqLen=64&evalWindows=2&autorun=1');
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-status', /done|failed|cancelled/, { timeout: 500_000 });
  await expect(progress).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('run-result')).toContainText('Perplexity');

  await page.getByRole('tab', { name: /History/ }).click();
  await expect(page.getByRole('alert')).toContainText('A finished run was not saved (The quota has been exceeded.)');
  await expect(page.getByRole('alert')).toContainText('kept in this tab until you close it');
  const rows = page.getByTestId('history-table').locator('tbody tr');
  await expect(rows).toHaveCount(1);
  await expect(rows.first().getByTestId('unsaved-run')).toContainText('not saved (this tab only)');
  await expect(page.getByText(/0 saved, 1 in this tab only/)).toBeVisible();

  const download = page.waitForEvent('download');
  await rows
    .first()
    .getByRole('button', { name: /as JSON/ })
    .click();
  const json = JSON.parse(readFileSync((await (await download).path())!, 'utf8'));
  expect(json.status).toBe('done');
  expect(json.pplQuant).toBeGreaterThan(1);
  expect(json.id).toBe(await rows.first().getAttribute('data-run-id'));
});

// A run belongs to its tab: while tab A runs it (and has checkpointed a block), tab B does not
// offer it as unfinished; once A is closed, B offers it with Resume.
import { confirmAutorun } from './autorun-confirm';
import { test, expect, type Page } from '@playwright/test';

test.setTimeout(900_000);

const CONFIG = 'method=tesseraq&bits=3&calibSamples=2&seqLen=32&evalWindows=2&tqIters=2&tqBatch=2';

async function storedRuns(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((res) => {
        const open = indexedDB.open('webgpu-quant-studio-checkpoints');
        open.onupgradeneeded = () => open.transaction?.abort();
        open.onerror = () => res(0);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('summaries')) return (db.close(), res(0));
          const req = db.transaction('summaries').objectStore('summaries').count();
          req.onsuccess = () => (db.close(), res(req.result));
          req.onerror = () => (db.close(), res(0));
        };
      }),
  );
}

test('a run going on in another tab is not offered for resuming until that tab is gone', async ({ context }) => {
  const a = await context.newPage();
  await a.goto('/');
  await a.evaluate(
    () =>
      new Promise((res) => {
        const r = indexedDB.deleteDatabase('webgpu-quant-studio-checkpoints');
        r.onsuccess = r.onerror = r.onblocked = res;
      }),
  );
  await a.goto(`/?${CONFIG}&autorun=1`);
  await confirmAutorun(a);
  await expect(a.getByTestId('run-progress')).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  await expect.poll(() => storedRuns(a), { timeout: 600_000, intervals: [1000] }).toBe(1);

  const b = await context.newPage();
  await b.goto(`/?${CONFIG}`);
  await expect(b.getByTestId('model-summary')).toContainText('stories260K', { timeout: 60_000 });
  await b.getByRole('tab', { name: /Run/ }).click();
  await expect(b.getByTestId('memory-plan')).toContainText(/GPU memory/, { timeout: 60_000 });
  // The checkpoint is there, but its run is A's: B lists nothing.
  expect(await storedRuns(b)).toBe(1);
  await b.waitForTimeout(2000);
  await expect(b.getByTestId('unfinished-runs')).toHaveCount(0);
  await expect(a.getByTestId('run-progress')).toHaveAttribute('data-status', 'running');

  // A goes away mid-run: its lock with it. B offers the run.
  await a.close();
  await b.getByRole('tab', { name: /Data/ }).click();
  await b.getByRole('tab', { name: /Run/ }).click();
  const unfinished = b.getByTestId('unfinished-runs');
  await expect(unfinished.locator('li')).toHaveCount(1, { timeout: 60_000 });
  await expect(unfinished.getByRole('button', { name: 'Resume' })).toBeEnabled({ timeout: 60_000 });
});

// What the studio holds back, and says why: a link does not start a long run without asking
// (the expected time shown), Start is off for an empty calibration text, and during a run Generate
// and History's Settings are off, so nothing competes with the run or changes its configuration.
import { test, expect, type Page } from '@playwright/test';
import { fakeRun } from './fake-run';

function logBrowserErrors(page: Page) {
  page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
}

test('a link to a long run asks first with the expected time; Not now starts nothing', async ({ page }) => {
  logBrowserErrors(page);
  await page.goto('/?method=teq&steps=500&seqLen=64&calibSamples=2&evalWindows=2&autorun=1');
  const ask = page.getByTestId('autorun-confirm');
  // A fresh browser has timed no run on this adapter: the time is not known, and TEQ is long-running.
  await expect(ask).toContainText('This link starts a run on stories260K (TEQ W4 g32 asym)', { timeout: 60_000 });
  await expect(ask.getByTestId('autorun-expected-time')).toContainText('Expected time: not known yet');
  await expect(page).not.toHaveURL(/autorun/);
  await page.waitForTimeout(1000);
  await expect(page.getByTestId('run-progress')).toHaveCount(0);
  await ask.getByRole('button', { name: 'Not now' }).click();
  await expect(ask).toHaveCount(0);
  await expect(page.getByTestId('run-progress')).toHaveCount(0);
});

test('Start is off for an empty text; during a run Generate and History Settings are off', async ({ page }) => {
  logBrowserErrors(page);
  await page.goto('/?method=teq&steps=500&seqLen=64&calibSamples=2&evalWindows=2');
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
  await page.getByRole('tab', { name: /History/ }).click();
  const run = fakeRun('run-guard', 'rtn', 4, 11);
  await page.getByLabel('Import run JSON…').setInputFiles({ name: 'g.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(run)) });
  await expect(page.getByTestId('history-table')).toContainText('run-guard');

  // An empty text of one's own: Start is off before any click, and says why.
  await page.getByRole('tab', { name: /Data/ }).click();
  await page.getByRole('radio', { name: 'Your text' }).check();
  await page.getByRole('tab', { name: /Run/ }).click();
  const start = page.getByRole('button', { name: 'Start run' });
  await expect(start).toBeDisabled({ timeout: 60_000 });
  await expect(page.getByTestId('start-disabled-reason')).toContainText('the calibration text is empty');
  await expect(start).toHaveAccessibleDescription(/calibration text is empty/);

  // A bundled text: Start is on again; a long TEQ run starts.
  await page.getByRole('tab', { name: /Data/ }).click();
  await page.getByRole('radio', { name: 'TinyStories' }).check();
  await page.getByRole('tab', { name: /Run/ }).click();
  await expect(page.getByTestId('start-disabled-reason')).toHaveCount(0);
  await expect(start).toBeEnabled({ timeout: 60_000 });
  await start.click();
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-status', 'running');

  // Compare: Generate is off while the run holds the GPU, with the reason beside it.
  await page.getByRole('tab', { name: /Compare/ }).click();
  const generate = page.getByTestId('generation').getByRole('button', { name: 'Generate' });
  await expect(generate).toBeDisabled();
  await expect(page.getByTestId('generate-off-reason')).toContainText('while a run is in progress');
  // History: Settings cannot replace the running run's configuration.
  await page.getByRole('tab', { name: /History/ }).click();
  const settings = page.getByRole('button', { name: /^Use the settings of RTN W4 g32 asym/ });
  await expect(settings).toBeDisabled();
  await page.getByRole('tab', { name: /Run/ }).click();
  await expect(page.getByRole('heading', { level: 3, name: 'TEQ W4 g32 asym', exact: true })).toBeVisible();

  await page.getByTestId('cancel-run').click();
  await expect(progress).toHaveAttribute('data-status', 'cancelled', { timeout: 300_000 });
  // After the run both are back.
  await page.getByRole('tab', { name: /Compare/ }).click();
  await expect(generate).toBeEnabled();
  await page.getByRole('tab', { name: /History/ }).click();
  await expect(settings).toBeEnabled();
});

test('the per-layer errors step can be skipped: the run goes without it and Inspect says so', async ({ page }) => {
  logBrowserErrors(page);
  await page.goto('/?method=rtn&calibSamples=2&seqLen=64&evalWindows=2');
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
  await page.getByRole('tab', { name: /Run/ }).click();
  const setting = page.getByTestId('measure-errors-setting');
  const box = setting.getByLabel('Measure per-layer errors after quantizing');
  await expect(box).toBeChecked();
  // Its time: planned once a run has been timed on this device, and said so before.
  await expect(setting).toContainText('its time is planned once this device has finished a run');
  await box.uncheck();
  await expect(page).toHaveURL(/measureErrors=0/);
  await page.getByRole('button', { name: 'Start run' }).click();
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-status', /done|failed|cancelled/, { timeout: 300_000 });
  await expect(progress).toHaveAttribute('data-status', 'done');
  await expect(progress).toContainText('Quantized perplexity');
  await expect(progress).not.toContainText('Per-layer errors');
  // This device has now been timed: the setting plans the step's time.
  await expect(setting).toContainText(/Planned: about \d/);
  await page.getByTestId('run-result').getByRole('button', { name: 'Inspect' }).click();
  await expect(page.locator('.card', { hasText: 'Errors' })).toContainText('skipped measuring per-layer errors');
});

// What the studio holds back, and says why: a link does not start a long run without asking
// (the expected time shown), Start is off for an empty calibration text, and during a run Generate
// and History's Settings are off, so nothing competes with the run or changes its configuration.
import { test, expect, type Page } from '@playwright/test';
import { chartsRun, fakeRun } from './fake-run';
import { shot } from './studio-shots';

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

  // This adapter is timed now: a link to a long run asks with its expected time.
  await page.goto('/?method=teq&steps=20000&seqLen=64&calibSamples=2&evalWindows=2&autorun=1');
  const ask = page.getByTestId('autorun-confirm');
  await expect(ask.getByTestId('autorun-expected-time')).toContainText(/Expected time: about \d+ (min|h)/, { timeout: 60_000 });
  await expect(page.getByTestId('run-progress')).toHaveCount(0);
  await ask.getByRole('button', { name: 'Not now' }).click();
});

test('Inspect: loss charts per method, Mean f explained, a colour range per scale group, values beside the pointer', async ({ page }) => {
  logBrowserErrors(page);
  await page.goto('/');
  await page.getByRole('tab', { name: /History/ }).click();
  await page.getByLabel('Import run JSON…').setInputFiles({ name: 'c.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(chartsRun())) });
  await expect(page.getByTestId('history-table')).toContainText('run-charts');
  await page.getByRole('button', { name: /^Inspect TEQ → TesseraQ W3/ }).click();

  // Two loss charts, each with its own axis and title, not four series on one.
  await expect(page.getByTestId('loss-chart-teq')).toContainText('TEQ: training loss per step (2 series)');
  await expect(page.getByTestId('loss-chart-tesseraq')).toContainText('TesseraQ: block reconstruction loss per step (2 series)');
  await expect(page.getByTestId('loss-chart-tesseraq').locator('.u-legend')).toContainText('TesseraQ block 1');
  await expect(page.getByTestId('loss-chart-teq').locator('.u-legend')).not.toContainText('TesseraQ');

  // Mean f has a caption (and the header a tooltip) saying what it is.
  const card = page.getByTestId('tesseraq-card');
  await expect(card.getByTestId('mean-f-help')).toContainText('step-size factor');
  await expect(card.locator('abbr', { hasText: 'Mean f' })).toHaveAttribute('title', /f = 2·rectsig\(u\)/);

  // Each group's heatmap spans its own values: qkv's α stays within 0.3% of 1, gate_up's spans e^±3.
  const scales = page.getByTestId('scales-card');
  const hi = (group: string) => scales.getByTestId(`scales-${group}`).locator('.legend > span').last().innerText();
  await expect(scales.getByRole('radio', { name: 'Each group its own' })).toBeChecked();
  expect(Number(await hi('qkv'))).toBeLessThan(1.01);
  expect(Number(await hi('gate_up'))).toBeGreaterThan(10);
  await scales.getByRole('radio', { name: 'One for all groups' }).check();
  await expect.poll(() => hi('qkv')).toBe(await hi('gate_up'));

  // Hover: the value is shown next to the pointer, on a heatmap and on a line chart.
  const heat = scales.getByTestId('scales-qkv').locator('canvas[data-rows]');
  await heat.scrollIntoViewIfNeeded();
  const box = (await heat.boundingBox())!;
  const at = { x: box.x + box.width * 0.6, y: box.y + box.height * 0.25 };
  await page.mouse.move(at.x, at.y);
  const tip = page.getByTestId('hover-tip');
  await expect(tip).toContainText(/^block 0, channel \d+: \d/);
  const t = (await tip.boundingBox())!;
  expect(Math.abs(t.x - at.x)).toBeLessThan(40 + t.width);
  expect(Math.abs(t.y - at.y)).toBeLessThan(40);
  await page.mouse.move(0, 0);
  await expect(tip).toHaveCount(0);

  const over = page.getByTestId('loss-chart-tesseraq').locator('.u-over');
  await over.scrollIntoViewIfNeeded();
  const o = (await over.boundingBox())!;
  const p = { x: o.x + o.width * 0.5, y: o.y + o.height * 0.5 };
  await page.mouse.move(p.x, p.y);
  await page.screenshot({ path: shot('studio-inspect-charts-hover') });
  const chartTip = page.getByTestId('loss-chart-tesseraq').getByTestId('chart-tip');
  await expect(chartTip).toBeVisible();
  await expect(chartTip).toContainText(/TesseraQ block 0: \d/);
  const c = (await chartTip.boundingBox())!;
  expect(Math.abs(c.y - p.y)).toBeLessThan(40);
  expect(Math.min(Math.abs(c.x - p.x), Math.abs(c.x + c.width - p.x))).toBeLessThan(40);
});

test('generated text is in a serif face, a generation error in the app font', async ({ page }) => {
  await page.goto('/');
  // The stylesheet's rules on the two kinds of paragraph Generation shows (an error needs a failed
  // generation, which the studio no longer lets a run cause).
  const fonts = await page.evaluate(() => {
    const box = document.createElement('div');
    box.className = 'generated';
    box.innerHTML = '<p class="generated-text">Once</p><p class="worse generation-error">failed</p>';
    document.querySelector('main')!.append(box);
    const [text, error] = [...box.querySelectorAll('p')].map((p) => getComputedStyle(p).fontFamily);
    box.remove();
    return { text, error, body: getComputedStyle(document.body).fontFamily };
  });
  expect(fonts.text).toMatch(/Georgia|serif/);
  expect(fonts.error).not.toMatch(/Georgia|Times/);
  expect(fonts.error).toBe(fonts.body);
});

// The studio as a person meets it: the first screen reports the GPU, links carry the config,
// runs persist in History across reloads. Screenshots go to test-results/ to be looked at.
import { shot } from './studio-shots';
import { storedBlocks } from './checkpoint-records';
import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { fakeRun } from './fake-run';

function logBrowserErrors(page: Page) {
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`[browser] ${m.text()}`);
  });
  page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
}

test('first screen reports the GPU adapter, its limits and features', async ({ page }) => {
  logBrowserErrors(page);
  await page.goto('/');
  const card = page.getByTestId('device-card');
  // SwiftShader is what headless Chromium offers without a GPU.
  await expect(card.getByTestId('adapter-name')).toBeVisible();
  await expect(card).toContainText(/swiftshader/i);
  await expect(card.getByLabel('Key limits')).toContainText('Max storage binding');
  await expect(card.getByLabel('Key limits')).toContainText('Invocations / workgroup');
  // SwiftShader: 256 invocations per workgroup, no shader-f16.
  await expect(card.getByLabel('Key limits')).toContainText('256');
  await expect(card.locator('.chip.off', { hasText: 'shader-f16' })).toBeVisible();
  // ... so every kernel family takes its f32 path, and the card says so
  const paths = card.getByTestId('kernel-paths');
  await expect(paths.locator('dt', { hasText: 'Linear matmuls' })).toBeVisible();
  await expect(paths.locator('dd').first()).toHaveText('f32');
  await expect(page.getByTestId('gpu-error')).toHaveCount(0);
  await expect(page.getByRole('tab')).toHaveText([/Model/, /Data/, /Method/, /Run/, /Inspect/, /Compare/, /Teach/, /History/]);
  await page.screenshot({ path: shot('studio-first-screen') });
});

test('sections are keyboard reachable with arrow keys', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('tab', { name: /Model/ }).focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('tab', { name: /Method/ })).toBeFocused();
  await expect(page.getByRole('tab', { name: /Method/ })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('heading', { level: 2 })).toHaveText('Method');
  await page.keyboard.press('End');
  await expect(page.getByRole('tab', { name: /History/ })).toBeFocused();
});

test('a link sets the config; bad values fall back to defaults with a visible note', async ({ page }) => {
  await page.goto('/?method=teq&bits=3&groupSize=-5&lr=abc&colour=blue');
  const notes = page.getByTestId('url-notes');
  await expect(notes).toContainText('groupSize=-5 is not valid');
  await expect(notes).toContainText('lr=abc is not valid');
  await expect(notes).toContainText('Unknown parameter "colour"');
  await page.getByRole('tab', { name: /Method/ }).click();
  await expect(page.getByRole('radio', { name: 'TEQ', exact: true })).toBeChecked();
  await expect(page.getByRole('radio', { name: 'W3' })).toBeChecked();
  await expect(page.getByLabel('Group size')).toHaveValue('32');
  await expect(page.getByLabel('TEQ learning rate')).toHaveValue('0.005');
  // The address bar now holds the cleaned config; changing a control updates it.
  await expect(page).toHaveURL(/\?method=teq&bits=3$/);
  await page.getByRole('radio', { name: 'W2' }).check();
  await expect(page).toHaveURL(/\?method=teq&bits=2$/);
  await page.getByLabel('TEQ steps').fill('7');
  await expect(page).toHaveURL(/\?method=teq&bits=2&steps=7$/);
  await page.screenshot({ path: shot('studio-method'), fullPage: true });
});

test('history keeps runs across reloads; download, inspect, compare and delete them', async ({ page }, testInfo) => {
  logBrowserErrors(page);
  await page.goto('/');
  // Start from an empty history (tests share the browser profile only within one context).
  await page.evaluate(
    () =>
      new Promise((res) => {
        const r = indexedDB.deleteDatabase('webgpu-quant-studio');
        r.onsuccess = r.onerror = r.onblocked = res;
      }),
  );
  await page.reload();
  await page.getByRole('tab', { name: /History/ }).click();
  await expect(page.getByText('No runs yet')).toBeVisible();

  const runs = [fakeRun('run-rtn-w4', 'rtn', 4, 11.25), fakeRun('run-teq-w3', 'teq', 3, 12.75)];
  await page
    .getByLabel('Import run JSON…')
    .setInputFiles(runs.map((r) => ({ name: `${r.id}.json`, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(r)) })));
  await expect(page.getByText('run-rtn-w4.json: imported as RTN W4 g32 asym.')).toBeVisible();
  await expect(page.getByTestId('history-table').locator('tbody tr')).toHaveCount(2);

  await page.reload();
  await page.getByRole('tab', { name: /History/ }).click();
  const rows = page.getByTestId('history-table').locator('tbody tr');
  await expect(rows).toHaveCount(2);
  // Newest first: the W4 run was created a minute after the W3 one.
  await expect(rows.nth(0)).toContainText('RTN W4 g32 asym');
  await expect(rows.nth(0)).toContainText('+0.750');
  await expect(rows.nth(1)).toContainText('TEQ W3 g32 asym');
  // The imported run predates tqLr: its rerun link fills in the default instead of "undefined". It
  // used AWQ's scales (teqInit=awq, the default then), which the link must now name.
  const rerun = await page.getByRole('link', { name: 'Link that reruns TEQ W3 g32 asym (run-teq-w3)' }).getAttribute('href');
  expect(rerun).toMatch(/\?method=teq&bits=3&lr=0\.001&teqLoss=block&teqInit=awq&autorun=1$/);
  await page.screenshot({ path: shot('studio-history') });

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download TEQ W3 g32 asym (run-teq-w3) as JSON' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('stories260K-teq-w3g32-run-teq-w3.json');
  const downloaded = JSON.parse(readFileSync(await download.path(), 'utf8'));
  expect(downloaded).toEqual(runs[1]);

  await page.getByRole('button', { name: 'Inspect TEQ W3 g32 asym (run-teq-w3)' }).click();
  await expect(page.getByRole('heading', { level: 2 })).toHaveText('Inspect');
  const scales = page.getByTestId('scales-card');
  await expect(scales).toContainText('TEQ scales: 4 vectors in 2 groups');
  await expect(scales.getByTestId('scales-qkv')).toContainText('qkv: 2 blocks × 48 channels');
  const heat = scales.getByTestId('scales-qkv').locator('canvas[data-rows="2"][data-cols="48"]');
  await expect(heat).toBeVisible();
  // The heatmap is painted: its pixels are not all one colour.
  const distinct = await heat.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  });
  expect(distinct).toBeGreaterThan(10);
  await page.screenshot({ path: shot('studio-inspect'), fullPage: true });

  await page.getByRole('tab', { name: /History/ }).click();
  await page.getByRole('checkbox', { name: 'Compare RTN W4 g32 asym (run-rtn-w4)' }).check();
  await page.getByRole('checkbox', { name: 'Compare TEQ W3 g32 asym (run-teq-w3)' }).check();
  await page.getByRole('button', { name: 'Compare 2 selected' }).click();
  const matrix = page.getByTestId('delta-matrix');
  await expect(matrix.getByRole('row', { name: /RTN/ })).toContainText('+0.750');
  await expect(matrix.getByRole('row', { name: /TEQ/ })).toContainText('+2.250');
  await page.screenshot({ path: shot('studio-compare'), fullPage: true });

  await page.getByRole('tab', { name: /History/ }).click();
  await page.getByRole('button', { name: 'Delete RTN W4 g32 asym (run-rtn-w4)' }).click();
  await expect(rows).toHaveCount(1);
  await page.reload();
  await page.getByRole('tab', { name: /History/ }).click();
  await expect(page.getByTestId('history-table').locator('tbody tr')).toHaveCount(1);
  await expect(page.getByTestId('history-table')).toContainText('run-teq-w3');
  void testInfo;
});

test('a result that beats fp32 beyond the noise is flagged; every perplexity has its interval; Delete can be undone', async ({ page }) => {
  logBrowserErrors(page);
  await page.goto('/');
  await page.evaluate(
    () =>
      new Promise((res) => {
        const r = indexedDB.deleteDatabase('webgpu-quant-studio');
        r.onsuccess = r.onerror = r.onblocked = res;
      }),
  );
  await page.reload();
  // Four windows; the quantized model is 0.1 nats lower on every one of them: better beyond the noise.
  const fp = [2.3, 2.5, 2.2, 2.4];
  const odd = { ...fakeRun('run-odd', 'rtn', 4, Math.exp(2.25)), pplFp: Math.exp(2.35), evalTokens: 252, windowNll: { fp, quant: fp.map((v) => v - 0.1) } };
  // Same fp32 windows, quantized 0.2 higher give or take: worse, as expected, not flagged.
  const plain = {
    ...fakeRun('run-plain', 'rtn', 3, Math.exp(2.55)),
    pplFp: Math.exp(2.35),
    evalTokens: 252,
    windowNll: { fp, quant: fp.map((v, i) => v + 0.2 + 0.01 * i) },
  };
  await page.getByRole('tab', { name: /History/ }).click();
  await page
    .getByLabel('Import run JSON…')
    .setInputFiles([odd, plain].map((r) => ({ name: `${r.id}.json`, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(r)) })));
  await expect(page.getByTestId('history-table').locator('tbody tr')).toHaveCount(2);

  await page.getByRole('tab', { name: /Compare/ }).click();
  const table = page.getByTestId('compare-table');
  const oddRow = table.locator('tr', { hasText: 'run-odd' });
  await expect(oddRow.getByTestId('beats-fp')).toHaveText('below fp32 beyond the noise');
  await expect(table.locator('tr', { hasText: 'run-plain' }).getByTestId('beats-fp')).toHaveCount(0);
  await expect(oddRow.getByTestId('eval-tokens')).toHaveText('252');
  // fp32 windows 2.3, 2.5, 2.2, 2.4: mean 2.35, sd 0.1291, t(3) 3.182 -> exp(2.35 ± 0.2054) = 8.539–12.876.
  await expect(oddRow.getByTestId('ppl-interval').first()).toHaveText('8.539–12.876');
  await page.screenshot({ path: shot('studio-compare-noise'), fullPage: true });

  // Delete: the row goes, focus goes to Undo (not to the next row's Delete), and Undo brings it back.
  await page.getByRole('tab', { name: /History/ }).click();
  const rows = page.getByTestId('history-table').locator('tbody tr');
  await page.getByRole('button', { name: 'Delete RTN W4 g32 asym (run-odd)' }).click();
  await expect(rows).toHaveCount(1);
  const undo = page.getByTestId('history-deleted').getByRole('button', { name: 'Undo' });
  await expect(undo).toBeFocused();
  await undo.click();
  await expect(rows).toHaveCount(2);
  await page.reload();
  await page.getByRole('tab', { name: /History/ }).click();
  await expect(page.getByTestId('history-table').locator('tbody tr')).toHaveCount(2);
});

test("Compare names the best method at each bit width and the newest run's Δ without hovering the chart", async ({ page }) => {
  logBrowserErrors(page);
  await page.goto('/');
  await page.evaluate(
    () =>
      new Promise((res) => {
        const r = indexedDB.deleteDatabase('webgpu-quant-studio');
        r.onsuccess = r.onerror = r.onblocked = res;
      }),
  );
  await page.reload();
  // fp32 10.5 for all. W3: RTN 14 against TEQ 12.75; W4: RTN alone at 11.25. The TEQ run is the newest.
  const runs = [
    fakeRun('run-rtn-w3', 'rtn', 3, 14),
    fakeRun('run-rtn-w4', 'rtn', 4, 11.25),
    { ...fakeRun('run-teq-w3', 'teq', 3, 12.75), createdAt: '2026-11-24T12:00:00.000Z' },
  ];
  await page.getByRole('tab', { name: /History/ }).click();
  await page
    .getByLabel('Import run JSON…')
    .setInputFiles(runs.map((r) => ({ name: `${r.id}.json`, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(r)) })));
  await expect(page.getByTestId('history-table').locator('tbody tr')).toHaveCount(3);
  await page.getByRole('tab', { name: /Compare/ }).click();
  const highlights = page.getByTestId('compare-highlights');
  await expect(highlights.getByTestId('best-w3')).toHaveText('Best at W3: TEQ perplexity 12.750 (Δ +2.250)');
  await expect(highlights.getByTestId('best-w4')).toHaveText('Best at W4: RTN perplexity 11.250 (Δ +0.750) · the only method run at W4');
  // 12.75 - 10.5 = 2.25, 21.4% of 10.5.
  await expect(highlights.getByTestId('current-run-delta')).toHaveText('Newest run: TEQ W3 g32 asym Δ +2.250 (+21.4%, 10.500 → 12.750)');
  // The matrix marks the same cells.
  const matrix = page.getByTestId('delta-matrix');
  await expect(matrix.locator('td[data-best]')).toHaveCount(2);
  await expect(matrix.getByRole('row', { name: /TEQ/ }).locator('td').nth(1)).toHaveText('+2.250 ★, best at W3');
  await expect(matrix.getByRole('row', { name: /RTN/ }).locator('td').nth(1)).toHaveText('+3.500');
  await page.screenshot({ path: shot('studio-compare-best'), fullPage: true });
});

test('model sources: local llama2.c files, a dropped HF folder, a wrong file, the Hub form', async ({ page }) => {
  logBrowserErrors(page);
  await page.goto('/');
  await expect(page.getByTestId('model-summary')).toContainText('bundled:stories260K', { timeout: 60_000 });
  await page.screenshot({ path: shot('studio-model-bundled') });

  await page.getByRole('radio', { name: 'Files on this computer' }).check();
  await page.getByLabel('Choose files…').setInputFiles(['public/models/stories260K.bin', 'public/models/tok512.bin']);
  const summary = page.getByTestId('model-summary');
  // Named by the model file and a hash of its contents: short, and never shared by two different models.
  await expect(summary).toContainText(/local:stories260K#[0-9a-f]{10}/, { timeout: 60_000 });
  const llama2cName = (await summary.innerText()).match(/local:stories260K#[0-9a-f]{10}/)![0];
  // llama2.c's shared classifier: the head is the embedding, counted once (292,800 - 512 x 64).
  await expect(summary.getByTestId('model-parameters')).toHaveText('260.0 k');
  // The config now names the local model (it cannot be reopened from a link, but it is recorded).
  await expect(page).toHaveURL(new RegExp(`model=${encodeURIComponent(llama2cName).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  // The link says plainly that the files must be picked again.
  await page.getByRole('tab', { name: /Run/ }).click();
  await expect(page.getByTestId('repro-local-note')).toContainText('pick the same files again');
  await page.getByRole('tab', { name: /Model/ }).click();

  // A Hugging Face folder dropped onto the drop zone (several files at once).
  const dir = 'public/models/stories260K-hf';
  const files = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'].map((name) => ({
    name,
    b64: readFileSync(`${dir}/${name}`).toString('base64'),
  }));
  const dataTransfer = await page.evaluateHandle((fs) => {
    const dt = new DataTransfer();
    for (const f of fs) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name));
    return dt;
  }, files);
  await page.getByTestId('model-dropzone').dispatchEvent('drop', { dataTransfer });
  await expect(summary).toContainText('LlamaForCausalLM', { timeout: 60_000 });
  await expect(summary.getByTestId('model-parameters')).toHaveText('260.0 k');
  // The same weights in another format are other files: another name.
  await expect(summary).toContainText(/local:model#[0-9a-f]{10}/);
  expect(await summary.innerText()).not.toContain(llama2cName);

  // Something that is not a model: the loader's message is shown, the previous model stays.
  await page.getByLabel('Choose files…').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await expect(page.getByTestId('model-error')).toContainText('notes.txt');
  await expect(summary).toContainText('LlamaForCausalLM');

  // Hub: the repo id is validated before anything is fetched; the token field is a password field.
  await page.getByRole('radio', { name: 'Hugging Face Hub' }).check();
  await page.getByLabel('Repository id').fill('not a repo id');
  await expect(page.getByRole('button', { name: 'Load from the Hub' })).toBeDisabled();
  await page.getByLabel('Repository id').fill('HuggingFaceTB/SmolLM2-135M');
  await expect(page.getByRole('button', { name: 'Load from the Hub' })).toBeEnabled();
  await expect(page.getByLabel('Access token (optional)')).toHaveAttribute('type', 'password');
  await page.screenshot({ path: shot('studio-model-hub') });
});

test('on a software adapter the Quick demo is sized down, and Run says what to expect of the time before a first run', async ({ page }) => {
  logBrowserErrors(page);
  await page.goto('/?method=teq');
  await expect(page.getByTestId('model-summary')).toContainText('bundled:stories260K', { timeout: 60_000 });
  await page.getByRole('tab', { name: /Method/ }).click();
  await expect(page.getByText(/^Sized for this software adapter/)).toBeVisible();
  await page.getByRole('button', { name: 'Apply “Quick demo”' }).click();
  // SwiftShader: 4 x 32 calibration tokens, 2 windows and 4 TEQ steps (a GPU gets 8 x 64, 4 and 10).
  await expect(page.getByRole('status')).toHaveText('Quick demo set: calibSamples 4, seqLen 32, evalWindows 2, steps 4, teqLoss block, teqInit ones.');
  await expect(page).toHaveURL(/calibSamples=4&seqLen=32&evalWindows=2&steps=4&teqLoss=block&teqInit=ones/);
  await page.getByRole('tab', { name: /Run/ }).click();
  await expect(page.getByTestId('expected-time')).toContainText('known after a first run on this device (a software adapter');
});

test('an unfinished run of another model offers to load that model, then to resume it', async ({ page }) => {
  logBrowserErrors(page);
  await page.goto('/');
  await expect(page.getByTestId('model-summary')).toContainText('bundled:stories260K', { timeout: 60_000 });
  // A checkpoint's summary as the worker stores it, for a TEQ run of the bundled model.
  const summary = {
    runId: 'run-other-model',
    config: fakeRun('run-other-model', 'teq', 3, 12).config,
    completedBlocks: 2,
    resumePoint: 'after block 1',
    createdAt: new Date().toISOString(),
    bytes: 1000,
  };
  await page.evaluate(
    (s) =>
      new Promise<void>((res, rej) => {
        const open = indexedDB.open('webgpu-quant-studio-checkpoints', 1);
        open.onupgradeneeded = () => {
          for (const name of ['checkpoints', 'summaries']) if (!open.result.objectStoreNames.contains(name)) open.result.createObjectStore(name);
        };
        open.onerror = () => rej(new Error(`could not open the checkpoint database: ${open.error?.message}`));
        open.onsuccess = () => {
          const tx = open.result.transaction('summaries', 'readwrite');
          tx.objectStore('summaries').put(s, s.runId);
          tx.oncomplete = () => (open.result.close(), res());
          tx.onerror = () => rej(new Error(`could not write the summary: ${tx.error?.message}`));
        };
      }),
    summary,
  );
  // Another model in use: the same weights as llama2.c files, a local model.
  await page.getByRole('radio', { name: 'Files on this computer' }).check();
  await page.getByLabel('Choose files…').setInputFiles(['public/models/stories260K.bin', 'public/models/tok512.bin']);
  await expect(page.getByTestId('model-summary')).toContainText(/local:stories260K#/, { timeout: 60_000 });
  await page.getByRole('tab', { name: /Run/ }).click();
  const item = page.getByTestId('unfinished-runs').locator('li');
  await expect(item).toContainText('TEQ W3 g32 asym · 2 blocks done · resumes after block 1');
  await expect(item).toContainText('a run of bundled:stories260K');
  await expect(item.getByRole('button', { name: 'Resume' })).toHaveCount(0);
  await item.getByRole('button', { name: 'Load stories260K' }).click();
  await expect(item.getByRole('button', { name: 'Resume' })).toBeEnabled({ timeout: 60_000 });
  await expect(item).not.toContainText('a run of');
  await page.getByRole('tab', { name: /Model/ }).click();
  await expect(page.getByTestId('model-summary')).toContainText('bundled:stories260K');
});

test('too little custom text is named before a run starts; a running run can be cancelled', async ({ page }) => {
  logBrowserErrors(page);
  await page.goto('/?seqLen=64&calibSamples=2&evalWindows=2');
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
  await page.getByRole('tab', { name: /Data/ }).click();
  await page.getByRole('radio', { name: 'Your text' }).check();
  await page.getByLabel('Paste text').fill('Once upon a time there was a cat. The cat sat on a mat.\n\nThe end.');
  await page.getByRole('button', { name: 'Count tokens' }).click();
  const problems = page.getByTestId('text-problems');
  await expect(problems).toContainText('fewer than one sample of 64');
  await expect(problems).toContainText('fewer than one window of 64');
  await page.getByRole('tab', { name: /Run/ }).click();
  await page.getByRole('button', { name: 'Start run' }).click();
  await expect(page.getByTestId('run-blocked')).toContainText('fewer than one sample of 64');
  await expect(page.getByTestId('run-progress')).toHaveCount(0);

  // Back to a bundled text and a long TEQ run, cancelled while it runs.
  await page.getByRole('tab', { name: /Data/ }).click();
  await page.getByRole('radio', { name: 'TinyStories' }).check();
  await expect(page.getByTestId('text-stats')).toContainText('2 samples × 64 tokens', { timeout: 60_000 });
  await page.getByRole('tab', { name: /Method/ }).click();
  await page.getByRole('radio', { name: 'TEQ', exact: true }).check();
  await page.getByLabel('TEQ steps').fill('500');
  await page.getByRole('tab', { name: /Run/ }).click();
  await page.getByRole('button', { name: 'Start run' }).click();
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-status', 'running');
  await expect(progress.getByRole('progressbar', { name: 'TEQ scale training' })).toBeVisible({ timeout: 120_000 });
  // Progress inside the phase, and an estimate of the time left once a step has finished.
  await expect(progress.getByTestId('phase-count-teq')).toHaveText(/^step \d+ of 500$/, { timeout: 120_000 });
  await expect(progress.getByTestId('run-remaining')).toHaveText(/remaining about \d/, { timeout: 120_000 });
  await page.screenshot({ path: shot('studio-running-teq') });
  // Resuming needs a checkpoint: wait for the run's first one (inside TEQ's training, at most every
  // 30 s of it) rather than for a time, which a slow machine would not keep.
  await expect.poll(async () => (await storedBlocks(page)).length, { timeout: 300_000, intervals: [1000] }).toBeGreaterThan(0);
  const cancel = page.getByTestId('cancel-run');
  const shownStep = Number(/step (\d+) of 500/.exec(await progress.getByTestId('phase-count-teq').innerText())![1]);
  await cancel.click();
  // The button says so and cannot be pressed again while the engine stops.
  await expect(cancel).toHaveText('Cancelling…');
  await expect(cancel).toBeDisabled();
  await expect(progress).toHaveAttribute('data-status', 'cancelled', { timeout: 300_000 });
  // Counted in steps, not seconds (a loaded machine is slow at both): the engine looks for a cancel
  // between steps, with at most 4 in flight, rather than at the end of TEQ's 500 steps.
  await expect(progress).toContainText(/stopped at step \d+ of 500/);
  const stoppedStep = Number(/stopped at step (\d+) of 500/.exec(await progress.innerText())![1]);
  expect(stoppedStep).toBeLessThan(500);
  expect(stoppedStep - shownStep).toBeLessThanOrEqual(50);
  // Kept in History as cancelled, never shown as a result with perplexities.
  await expect(progress.getByTestId('run-result')).toHaveAttribute('data-status', 'cancelled');
  await expect(progress.getByTestId('run-result')).toContainText('Cancelled: no quantized perplexity');
  await expect(progress.getByTestId('run-result')).not.toContainText('Perplexity');
  await page.screenshot({ path: shot('studio-cancelled') });
  // It can be resumed from Unfinished runs; deleting it from History discards that checkpoint too.
  const unfinished = page.getByTestId('unfinished-runs');
  await expect(unfinished).toContainText('TEQ W4 g32 asym');
  await page.getByRole('tab', { name: /History/ }).click();
  await expect(page.getByTestId('history-table')).toContainText('cancelled');
  await page.getByRole('button', { name: /^Delete TEQ W4 g32 asym/ }).click();
  await page.getByRole('tab', { name: /Run/ }).click();
  await expect(page.getByTestId('unfinished-runs')).toHaveCount(0);
});

test('Data measures which bundled text fits the model and offers to use it', async ({ page }) => {
  logBrowserErrors(page);
  await page.goto('/?text=wikitext2');
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
  await page.getByRole('tab', { name: /Data/ }).click();
  const fit = page.getByTestId('text-fit');
  await fit.getByRole('button', { name: 'Measure the fp32 perplexity of each text' }).click();
  // stories260K was trained on TinyStories: that text has by far the lowest perplexity.
  await expect(fit.getByTestId('fit-tinyshakespeare')).toContainText(/\d/, { timeout: 300_000 });
  await expect(fit.getByTestId('fit-tinystories')).toContainText('fits best');
  const ppl = async (t: string) => Number((await fit.getByTestId(`fit-${t}`).locator('td').nth(1).innerText()).replace(/,/g, ''));
  expect(await ppl('tinystories')).toBeLessThan((await ppl('wikitext2')) / 5);
  await fit.getByRole('button', { name: 'Use TinyStories' }).click();
  await expect(page).toHaveURL(/^(?!.*text=).*$/); // back to the default text
  await expect(fit.getByTestId('fit-tinystories')).toContainText('in use');
  // Nothing of this went to History.
  await page.getByRole('tab', { name: /History/ }).click();
  await expect(page.getByTestId('history-table')).toHaveCount(0);
});

test('at 390 px the sidebar is a top bar and no section widens the page; at 1440 px the sidebar stays put', async ({ page }) => {
  logBrowserErrors(page);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/');
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
  await page.getByRole('tab', { name: /History/ }).click();
  const run = fakeRun('run-narrow', 'teq', 3, 12);
  await page.getByLabel('Import run JSON…').setInputFiles({ name: 'n.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(run)) });
  await expect(page.getByTestId('history-table')).toContainText('run-narrow');
  for (const name of ['Model', 'Data', 'Method', 'Run', 'Inspect', 'Compare', 'Teach', 'History']) {
    await page.getByRole('tab', { name: new RegExp(name) }).click();
    await expect(page.getByRole('heading', { level: 2 })).toHaveText(name);
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      sidebar: document.querySelector('.sidebar')!.getBoundingClientRect().height,
    }));
    expect(widths.page, `${name} fits 390 px`).toBeLessThanOrEqual(390);
    expect(widths.sidebar, 'the sidebar is a bar, not a column').toBeLessThan(200);
    if (['Run', 'Inspect', 'Compare', 'Teach'].includes(name)) await page.screenshot({ path: shot(`studio-390-${name.toLowerCase()}`), fullPage: true });
    // A field or link that shares a line takes a line of its own rather than shrinking under its label.
    const squeezed = { Run: page.getByTestId('repro-link'), Compare: page.getByLabel('Prompt') }[name as 'Run' | 'Compare'];
    if (squeezed)
      expect((await squeezed.boundingBox())!.width, `${name}: its ${await squeezed.evaluate((el) => el.tagName)} is not squeezed`).toBeGreaterThan(240);
  }

  await page.setViewportSize({ width: 1440, height: 900 });
  await page.getByRole('tab', { name: /Inspect/ }).click();
  // Over the main column: the sidebar scrolls on its own when its GPU card is taller than the window.
  await page.mouse.move(900, 450);
  await page.mouse.wheel(0, 3000);
  await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(0);
  const box = await page.locator('.sidebar').boundingBox();
  expect(box!.y).toBe(0);
  expect(box!.height).toBe(900);
  await page.screenshot({ path: shot('studio-1440-inspect-scrolled') });
});

test('by keyboard alone a run is started, followed and cancelled, with visible focus', async ({ page }) => {
  logBrowserErrors(page);
  await page.goto('/?method=teq&steps=500&seqLen=64&calibSamples=2&evalWindows=2');
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
  await page.getByRole('tab', { name: /Model/ }).focus();
  await page.keyboard.press('End');
  for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowUp'); // History -> Run
  await expect(page.getByRole('heading', { level: 2 })).toHaveText('Run');
  const start = page.getByRole('button', { name: 'Start run' });
  await expect(start).toBeEnabled({ timeout: 60_000 });
  for (let i = 0; i < 30 && !(await start.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
  await expect(start).toBeFocused();
  const outline = (el: Element) => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth;
  expect(await start.evaluate(outline)).toMatch(/^solid [1-9]/);
  await page.keyboard.press('Enter');
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-status', 'running');
  // Focus moves from the now disabled Start to Cancel, outlined.
  const cancel = page.getByTestId('cancel-run');
  await expect(cancel).toBeFocused();
  expect(await cancel.evaluate(outline)).toMatch(/^solid [1-9]/);
  await expect(progress.getByTestId('phase-count-eval-fp')).toBeVisible({ timeout: 60_000 });
  await page.keyboard.press('Enter');
  await expect(cancel).toHaveText('Cancelling…');
  await expect(cancel).toBeFocused();
  await expect(progress).toHaveAttribute('data-status', 'cancelled', { timeout: 60_000 });
  await expect(start).toBeFocused();
});

test('every control in every section has a name and can be reached with the keyboard', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
  await page.getByRole('tab', { name: /History/ }).click();
  const run = fakeRun('run-a11y', 'teq', 3, 12);
  await page.getByLabel('Import run JSON…').setInputFiles({ name: 'a.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(run)) });
  await expect(page.getByTestId('history-table')).toContainText('run-a11y');
  const sections = ['Model', 'Data', 'Method', 'Run', 'Inspect', 'Compare', 'History'];
  for (const name of sections) {
    await page.getByRole('tab', { name: new RegExp(name) }).click();
    if (name === 'Data') await page.getByRole('radio', { name: 'Your text' }).check();
    if (name === 'Method') await page.getByRole('radio', { name: 'TEQ → TesseraQ' }).check();
    const problems = await page.locator('main').evaluate((main) => {
      const out: string[] = [];
      for (const el of main.querySelectorAll<HTMLElement>('input, select, textarea, button, a[href]')) {
        const input = el as HTMLInputElement;
        const named =
          (input.labels && input.labels.length > 0) ||
          el.getAttribute('aria-label') ||
          el.getAttribute('aria-labelledby') ||
          ((el.tagName === 'BUTTON' || el.tagName === 'A') && el.textContent!.trim() !== '');
        // Reachable: focusable by Tab (not tabindex=-1); hidden file inputs are reached through their focusable label.
        const reachable = el.tabIndex >= 0;
        if (!named) out.push(`unnamed ${el.outerHTML.slice(0, 120)}`);
        if (!reachable) out.push(`not reachable ${el.outerHTML.slice(0, 120)}`);
      }
      return out;
    });
    expect(problems, `section ${name}`).toEqual([]);
  }
});

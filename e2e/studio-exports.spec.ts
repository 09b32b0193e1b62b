// Before a long run, a person sees which exports they will get: the Model card lists the formats
// the architecture and tokenizer allow (an OPT folder: no GGUF, and why), Run says which ones the
// current settings will offer and that export is offered right after the run, in this session.
import { test, expect, type Page } from '@playwright/test';
import { expectedShapes, parseHfConfig } from '../src/formats/hf-config';
import { RANDOM_SHAPES, randomTensor, randomTokenizerJson } from '../src/formats/random-model';
import { writeSafetensors } from '../src/formats/safetensors';
import { shot } from './studio-shots';

function logBrowserErrors(page: Page) {
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`[browser] ${m.text()}`);
  });
  page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
}

/** A tiny OPT checkpoint folder (tied head, saved without lm_head as transformers does). */
function tinyOptFiles(): { name: string; b64: string }[] {
  const configJson = RANDOM_SHAPES['tiny-opt'];
  const shapes = expectedShapes(parseHfConfig(configJson));
  const tensors = [...shapes].filter(([n]) => n !== 'lm_head.weight').map(([name, shape]) => ({ name, shape, data: randomTensor(name, shape, 1) }));
  const b64 = (b: Uint8Array | string) => Buffer.from(b).toString('base64');
  return [
    { name: 'config.json', b64: b64(JSON.stringify(configJson)) },
    { name: 'tokenizer.json', b64: b64(JSON.stringify(randomTokenizerJson(300))) },
    { name: 'model.safetensors', b64: b64(writeSafetensors(tensors)) },
  ];
}

test('exports are said at load and before Start: all formats for stories260K, no GGUF for OPT, and only right after the run', async ({ page }) => {
  logBrowserErrors(page);
  await page.goto('/?groupSize=128');
  const summary = page.getByTestId('model-summary');
  await expect(summary).toContainText('bundled:stories260K', { timeout: 60_000 });
  const exports = summary.getByTestId('model-exports');
  await expect(exports.locator('summary')).toHaveText('Exports: ONNX, GPTQ, GPTQ v2, GGUF, full-precision safetensors');
  await exports.locator('summary').click();
  await expect(exports).toContainText('GGUF (llama.cpp): needs groups of 32');
  await expect(exports).toContainText('History keeps each run’s results, not its quantized weights');

  // Run: groups of 128 rule GGUF out, and the line says so before Start.
  await page.getByRole('tab', { name: /Run/ }).click();
  const line = page.getByTestId('run-exports');
  await expect(line).toContainText(
    'Exports after this run: ONNX, GPTQ, GPTQ v2, full-precision safetensors; not GGUF (groups of 128: GGUF blocks are 32 wide)',
  );
  await expect(line).toContainText('Export is offered right after a run, in this session');

  // An OPT folder: GGUF is not for this architecture, and the card says why at load.
  await page.getByRole('tab', { name: /Model/ }).click();
  await page.getByRole('radio', { name: 'Files on this computer' }).check();
  const dataTransfer = await page.evaluateHandle((fs) => {
    const dt = new DataTransfer();
    for (const f of fs) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name));
    return dt;
  }, tinyOptFiles());
  await page.getByTestId('model-dropzone').dispatchEvent('drop', { dataTransfer });
  await expect(summary).toContainText('OPTForCausalLM', { timeout: 60_000 });
  await expect(exports.locator('summary')).toHaveText('Exports: ONNX, GPTQ, GPTQ v2, full-precision safetensors · not GGUF');
  await exports.locator('summary').click();
  await expect(exports.locator('li.worse')).toHaveText(
    /GGUF \(llama\.cpp\): not for this model: llama\.cpp has no OPT architecture.*export ONNX, GPTQ \(v1 or v2\) or the full-precision folder/,
  );
  await page.screenshot({ path: shot('studio-model-exports-opt') });

  await page.getByRole('tab', { name: /Run/ }).click();
  await expect(line).toContainText('Exports after this run: ONNX, GPTQ, GPTQ v2, full-precision safetensors; not GGUF (llama.cpp has no OPT architecture');
});

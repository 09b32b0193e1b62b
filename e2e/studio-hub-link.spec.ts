// A link that names a Hub model and autorun=1 does not download anything until the person confirms,
// and the question says how large the download is (from a HEAD request, before any GET).
import { test, expect, type Route } from '@playwright/test';
import { existsSync, readFileSync, statSync } from 'node:fs';

const REPO = 'test-org/public-stories';
const DIR = 'public/models/stories260K-hf';

async function serveHub(route: Route, requests: string[]) {
  const url = new URL(route.request().url());
  requests.push(`${route.request().method()} ${url.pathname}`);
  const cors = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-range, content-length, etag, accept-ranges' };
  if (route.request().method() === 'OPTIONS') {
    return route.fulfill({
      status: 204,
      headers: { ...cors, 'access-control-allow-headers': 'authorization, range, if-range', 'access-control-allow-methods': 'GET, HEAD' },
    });
  }
  const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
  const file = m && m[1] === REPO ? `${DIR}/${decodeURIComponent(m[3])}` : '';
  if (!file || !existsSync(file)) return route.fulfill({ status: 404, headers: cors, body: 'not found' });
  const bytes = readFileSync(file);
  const range = /^bytes=(\d+)-(\d*)$/.exec((await route.request().allHeaders()).range ?? '');
  if (range) {
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
    return route.fulfill({
      status: 206,
      headers: { ...cors, etag: `"${bytes.length}"`, 'content-range': `bytes ${start}-${end}/${bytes.length}`, 'content-length': String(end - start + 1) },
      body: bytes.subarray(start, end + 1),
    });
  }
  return route.fulfill({ status: 200, headers: { ...cors, etag: `"${bytes.length}"`, 'content-length': String(bytes.length) }, body: bytes });
}

test('autorun=1 with a Hub model asks before downloading; confirming loads the model and starts the run', async ({ page, context }) => {
  const requests: string[] = [];
  await context.route('https://huggingface.co/**', (route) => serveHub(route, requests));
  const query = new URLSearchParams({ model: `hf:${REPO}@main`, method: 'rtn', bits: '4', calibSamples: '2', seqLen: '64', evalWindows: '2', autorun: '1' });
  await page.goto(`/?${query}`);
  const ask = page.getByTestId('autorun-confirm');
  await expect(ask).toContainText(`This link starts a run on ${REPO}`, { timeout: 60_000 });
  await expect(ask).toContainText('Nothing has been downloaded yet');
  // The size of the weights, read from the file here (1,044,992 bytes: between 10 KiB and 1 MiB).
  const bytes = statSync(`${DIR}/model.safetensors`).size;
  await expect(page.getByTestId('autorun-size')).toHaveText(`${(bytes / 1024).toFixed(1)} KiB of weights (model.safetensors), plus its config and tokenizer.`);
  // The studio is idle: the GPU is up and the only request to the Hub asked for the size.
  await expect(page.getByTestId('run-progress')).toHaveCount(0);
  expect(requests).toEqual([`HEAD /${REPO}/resolve/main/model.safetensors`]);

  await ask.getByRole('button', { name: 'Download and run' }).click();
  await expect(ask).toHaveCount(0);
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-status', /running|done/, { timeout: 120_000 });
  expect(requests.some((r) => r.endsWith('/config.json'))).toBe(true);
});

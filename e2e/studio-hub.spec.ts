// Loading from the Hugging Face Hub through the studio. Requests to huggingface.co (made by the
// engine worker) are answered by a route that serves the bundled HF folder with the Hub's URL
// layout, Range requests and a private repo that wants a Bearer token.
import { test, expect, type Route } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { shot } from './studio-shots';

const REPO = 'test-org/private-stories';
const TOKEN = 'hf_test_token_123';
const DIR = 'public/models/stories260K-hf';

async function serveHub(route: Route, requests: { path: string; auth: boolean }[]) {
  const url = new URL(route.request().url());
  const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
  const headers = await route.request().allHeaders();
  const auth = headers.authorization === `Bearer ${TOKEN}`;
  requests.push({ path: url.pathname, auth });
  const cors = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-range, content-length, etag, accept-ranges' };
  if (route.request().method() === 'OPTIONS') {
    return route.fulfill({
      status: 204,
      headers: { ...cors, 'access-control-allow-headers': 'authorization, range, if-range', 'access-control-allow-methods': 'GET, HEAD' },
    });
  }
  if (!m || m[1] !== REPO) return route.fulfill({ status: 404, headers: cors, body: 'not found' });
  if (!auth) return route.fulfill({ status: 401, headers: cors, body: 'unauthorized' });
  const file = `${DIR}/${decodeURIComponent(m[3])}`;
  if (!existsSync(file)) return route.fulfill({ status: 404, headers: cors, body: 'not found' });
  const bytes = readFileSync(file);
  const etag = `"${bytes.length}"`;
  const range = /^bytes=(\d+)-(\d*)$/.exec(headers.range ?? '');
  if (range) {
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
    return route.fulfill({
      status: 206,
      headers: { ...cors, etag, 'content-range': `bytes ${start}-${end}/${bytes.length}`, 'content-length': String(end - start + 1) },
      body: bytes.subarray(start, end + 1),
    });
  }
  return route.fulfill({ status: 200, headers: { ...cors, etag, 'content-length': String(bytes.length) }, body: bytes });
}

test('a private Hub repo: refused without a token, loaded with one, the token kept out of links', async ({ page, context }) => {
  const requests: { path: string; auth: boolean }[] = [];
  await context.route('https://huggingface.co/**', (route) => serveHub(route, requests));
  await page.goto('/');
  await expect(page.getByTestId('model-summary')).toContainText('bundled:stories260K', { timeout: 60_000 });

  await page.getByRole('radio', { name: 'Hugging Face Hub' }).check();
  await page.getByLabel('Repository id').fill(REPO);
  await page.getByRole('button', { name: 'Load from the Hub' }).click();
  await expect(page.getByTestId('model-error')).toContainText('needs authorization', { timeout: 60_000 });
  // The request reached the stand-in Hub (so the worker's fetches go through the route).
  expect(requests.some((r) => r.path.startsWith(`/${REPO}/resolve/main/`) && !r.auth)).toBe(true);

  await page.getByLabel('Access token (optional)').fill(TOKEN);
  await page.getByRole('button', { name: 'Load from the Hub' }).click();
  const summary = page.getByTestId('model-summary');
  await expect(summary).toContainText(`hf:${REPO}@main`, { timeout: 120_000 });
  await expect(summary.getByTestId('model-parameters')).toHaveText('260.0 k');
  expect(requests.some((r) => r.path.endsWith('/model.safetensors') && r.auth)).toBe(true);

  // The config names the repo and revision; nothing carries the token.
  await expect(page).toHaveURL(new RegExp(`model=hf%3A${encodeURIComponent(REPO).replace('%2F', '%2F')}%40main`));
  expect(page.url()).not.toContain(TOKEN);
  await page.getByRole('tab', { name: /Run/ }).click();
  expect(await page.getByTestId('repro-link').getAttribute('href')).not.toContain(TOKEN);
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  expect(stored).not.toContain(TOKEN);
  await page.getByRole('tab', { name: /Model/ }).click();
  await page.screenshot({ path: shot('studio-model-hub-loaded') });
});

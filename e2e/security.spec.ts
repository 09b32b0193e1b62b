// The built studio under its Content-Security-Policy: `vite build` with the CSP plugin, served by
// `vite preview` on a free port; the page and its engine worker start without one violation or
// console error, eval/new Function/inline script/foreign hosts are blocked (in the page and the
// worker), WebAssembly compiles, and onnxruntime-web's WASM backend runs a model.
import { test, expect, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, preview, type PreviewServer } from 'vite';
import { CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_HEADER } from '../src/security/csp';
import { contentSecurityPolicy } from '../src/security/csp-plugin';

// The build goes to a fresh folder (made in beforeAll): two checkouts testing at once must not share one.
let OUT_DIR = '';
let server: PreviewServer;
let base: string;

test.describe.configure({ mode: 'serial' });

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

test.beforeAll(async () => {
  test.setTimeout(300_000);
  OUT_DIR = mkdtempSync(join(tmpdir(), 'csp-dist-'));
  // The plugin is passed here too, so the test holds whether or not vite.config.ts lists it.
  await build({
    configFile: 'vite.config.ts',
    logLevel: 'warn',
    plugins: [contentSecurityPolicy()],
    build: { outDir: OUT_DIR, emptyOutDir: true, rollupOptions: { input: { index: 'index.html', probe: 'e2e/csp-probe.html' } } },
  });
  server = await preview({
    configFile: 'vite.config.ts',
    logLevel: 'warn',
    plugins: [contentSecurityPolicy()],
    build: { outDir: OUT_DIR },
    preview: { host: '127.0.0.1', port: await freePort(), strictPort: true },
  });
  base = server.resolvedUrls!.local[0].replace(/\/$/, '');
});

test.afterAll(async () => {
  await server?.close();
  if (OUT_DIR) rmSync(OUT_DIR, { recursive: true, force: true });
});

/**
 * Turns a string into code from a timer callback, i.e. as the page's (or worker's) own code, not
 * inside the DevTools evaluation that sets it up (which may eval despite the policy: CDP's
 * allowUnsafeEvalBlockedByCSP). `kind`: 'eval', 'new Function' or 'string timer'. Returns the
 * error's name, or what ran.
 */
function fromTimer(kind: string): Promise<string> {
  const g = globalThis as unknown as { __stringTimer?: number };
  return new Promise((ok) => {
    setTimeout(() => {
      try {
        if (kind === 'eval') ok(`allowed: ${String((0, eval)('1 + 1'))}`);
        // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the probe: the CSP must block it
        else if (kind === 'new Function') ok(`allowed: ${String(new Function('return 1')())}`);
        else {
          (setTimeout as unknown as (code: string, ms: number) => void)('globalThis.__stringTimer = 1', 0);
          setTimeout(() => ok(g.__stringTimer ? 'allowed' : 'not run'), 100);
        }
      } catch (e) {
        ok((e as Error).name);
      }
    }, 0);
  });
}

interface Watch {
  violations: () => Promise<string[]>;
  consoleErrors: string[];
}

/** Records CSP violation events (from the first script on) and console errors of the page and its workers. */
async function watch(page: Page): Promise<Watch> {
  await page.addInitScript(() => {
    const list: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = list;
    document.addEventListener('securitypolicyviolation', (e) =>
      list.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /content security policy/i.test(m.text())) consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  return { violations: () => page.evaluate(() => [...(window as unknown as { __cspViolations: string[] }).__cspViolations]), consoleErrors };
}

test('the built studio carries the policy and starts its engine worker without a violation', async ({ page }) => {
  const w = await watch(page);
  const workerStarted = page.waitForEvent('worker', (wk) => /engine\.worker/.test(wk.url()));
  const res = await page.goto(`${base}/`);
  expect(res?.headers()['content-security-policy']).toBe(CONTENT_SECURITY_POLICY_HEADER);
  await expect(page.locator('meta[http-equiv="Content-Security-Policy"]')).toHaveAttribute('content', CONTENT_SECURITY_POLICY);
  // The meta tag comes before every script, so it governs all of them.
  expect(await page.evaluate(() => document.head.firstElementChild?.getAttribute('http-equiv'))).toBe('Content-Security-Policy');
  expect(CONTENT_SECURITY_POLICY).not.toMatch(/'unsafe-eval'|'unsafe-inline'/);

  await workerStarted;
  // The device card is filled from the worker's answer: the worker ran and talked to the page.
  await expect(page.getByTestId('adapter-name')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('gpu-error')).toHaveCount(0);
  // The bundled model files are fetched from 'self' (by the worker, under the header policy).
  const modelFile = await page.evaluate(() => fetch('/models/stories260K.gguf', { method: 'HEAD' }).then((r) => r.status));
  expect(modelFile).toBe(200);
  await page.waitForTimeout(500);
  expect(await w.violations()).toEqual([]);
  expect(w.consoleErrors).toEqual([]);
});

test('eval, new Function, inline scripts and foreign hosts are blocked; WebAssembly compiles', async ({ page }) => {
  const w = await watch(page);
  const workerStarted = page.waitForEvent('worker', (wk) => /engine\.worker/.test(wk.url()));
  await page.goto(`${base}/`);
  await expect(page.getByTestId('adapter-name')).toBeVisible({ timeout: 60_000 });
  expect(await w.violations()).toEqual([]);

  // DevTools evaluation may eval despite the policy (Runtime.evaluate's allowUnsafeEvalBlockedByCSP),
  // so each attempt runs later from a timer, as the page's own code.
  expect(await page.evaluate(fromTimer, 'eval')).toBe('EvalError');
  expect(await page.evaluate(fromTimer, 'new Function')).toBe('EvalError');
  expect(await page.evaluate(fromTimer, 'string timer')).toBe('not run');
  expect(
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.head.append(s);
      return new Promise((ok) => setTimeout(() => ok((window as unknown as { __inlineRan?: boolean }).__inlineRan ?? false), 50));
    }),
  ).toBe(false);
  expect(
    await page.evaluate(() =>
      WebAssembly.compile(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])).then(
        () => 'compiled',
        (e: Error) => e.name,
      ),
    ),
  ).toBe('compiled');
  await page.evaluate(() => fetch('https://example.com/x').catch(() => undefined));
  await page.evaluate(() => fetch('https://huggingface.co.evil.example/x').catch(() => undefined));

  // The listener saw each attempt: the empty lists above mean something.
  await expect
    .poll(w.violations)
    .toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^script-src blocked eval/),
        expect.stringMatching(/^script-src(-elem)? blocked inline/),
        expect.stringMatching(/^connect-src blocked https:\/\/example\.com\/x/),
        expect.stringMatching(/^connect-src blocked https:\/\/huggingface\.co\.evil\.example\/x/),
      ]),
    );

  // The worker's own response carries the header policy: eval is blocked there too.
  const worker = await workerStarted;
  expect(await worker.evaluate(fromTimer, 'eval')).toBe('EvalError');
});

test('onnxruntime-web runs its WASM backend under the policy', async ({ page }) => {
  const w = await watch(page);
  await page.goto(`${base}/e2e/csp-probe.html`);
  await expect(page.locator('meta[http-equiv="Content-Security-Policy"]')).toHaveAttribute('content', CONTENT_SECURITY_POLICY);
  await expect(page.locator('#log')).toHaveText('ready');
  const y = await page.evaluate(() => (window as unknown as { cspProbe: { runOnnx(): Promise<number[]> } }).cspProbe.runOnnx());
  expect(y).toEqual([11, 22]);
  expect(await w.violations()).toEqual([]);
  expect(w.consoleErrors).toEqual([]);
});

// The Hugging Face access token is kept in memory for the requests and nowhere else: a planted
// token is loaded through the stand-in Hub (success, 401, 403, 404, a cut download, an unreachable
// host) and then searched for in everything the studio could keep, show or export: the cache's
// keys and bytes, error messages and stacks, the LoadedModel, the source string, progress events,
// request URLs, console output, and a run result JSON, its file name and its link.
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { startFakeHub, type FakeHub } from '../../e2e/hub-server';
import { describeError } from '../gpu/errors';
import { runFileName, runToJson } from '../engine/history';
import { RESULT_SCHEMA_VERSION, type RunConfig, type RunResult } from '../core/run-types';
import { DEFAULT_CONFIG } from '../methods/registry';
import { configToQuery } from '../engine/url-config';
import { HubError } from './errors';
import { loadFromHub, type HubOptions, type HubProgress } from './hub';
import { MemoryHubCache } from './hub-cache';
import { HF_DIR } from './testing/fixtures';

const TOKEN = 'hf_PLANTED_TOKEN_123';
const REPO = 'test/private';

/**
 * JSON of everything reachable from `root` through properties (own, non-enumerable and symbol
 * keys too), Map and Set entries, error fields, typed arrays and buffers (as latin1 text, so a
 * token stored as bytes shows), and functions' source. Closures' captured variables are not
 * reachable from JavaScript; the request log and the cache cover what they could leak to.
 */
function deepJson(root: unknown): string {
  const seen = new WeakSet<object>();
  const latin1 = (b: ArrayBufferLike, off = 0, len = b.byteLength) => Buffer.from(b as ArrayBuffer, off, len).toString('latin1');
  const own = (v: object) => {
    const out: Record<string, unknown> = {};
    for (const k of Reflect.ownKeys(v)) {
      try {
        out[String(k)] = (v as Record<string | symbol, unknown>)[k];
      } catch (e) {
        out[String(k)] = `[getter threw ${String(e)}]`;
      }
    }
    return out;
  };
  return JSON.stringify(root, (_key, v: unknown) => {
    if (typeof v === 'bigint' || typeof v === 'symbol') return v.toString();
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return v;
    const obj = v as object;
    if (seen.has(obj)) return '[seen]';
    seen.add(obj);
    if (typeof v === 'function') return { function: String(v), ...own(obj) };
    if (ArrayBuffer.isView(v)) return { bytes: latin1(v.buffer, v.byteOffset, v.byteLength) };
    if (v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return { bytes: latin1(v) };
    if (v instanceof Map) return { map: [...v.entries()] };
    if (v instanceof Set) return { set: [...v] };
    if (v instanceof Error) return { name: v.name, message: v.message, stack: v.stack, cause: v.cause, ...own(obj) };
    return own(obj);
  });
}

function expectNoToken(what: string, value: unknown): void {
  const text = typeof value === 'string' ? value : deepJson(value);
  expect(text.includes(TOKEN), `${what} contains the token`).toBe(false);
  // The search must have looked at something.
  expect(text.length, what).toBeGreaterThan(0);
}

let hub: FakeHub;
const consoleCalls: unknown[][] = [];
const urls: string[] = [];
const progress: HubProgress[] = [];

beforeAll(async () => {
  hub = await startFakeHub({ [REPO]: { dir: HF_DIR, token: TOKEN }, 'test/public': { dir: HF_DIR } });
  for (const m of ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table'] as const) {
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      consoleCalls.push([m, ...args]);
    });
  }
});
afterAll(async () => {
  vi.restoreAllMocks();
  await hub.close();
});
afterEach(() => {
  expectNoToken('console output', consoleCalls);
  expectNoToken('request URLs', urls.join('\n') || '(none)');
  expectNoToken('progress events', progress);
});

function opts(extra: Partial<HubOptions> = {}): HubOptions {
  return {
    endpoint: hub.endpoint,
    token: TOKEN,
    cache: new MemoryHubCache(),
    onProgress: (p) => progress.push(p),
    fetch: (input, init) => {
      urls.push(input instanceof Request ? input.url : String(input));
      return fetch(input, init);
    },
    ...extra,
  };
}

async function hubError(p: Promise<unknown>): Promise<HubError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(HubError);
  return e as HubError;
}

function runResult(config: RunConfig, error?: string): RunResult {
  return {
    schema: RESULT_SCHEMA_VERSION,
    id: 'test-run',
    createdAt: new Date(0).toISOString(),
    status: error ? 'failed' : 'done',
    error,
    model: config.model,
    method: config.method,
    bits: config.bits,
    groupSize: config.groupSize,
    symmetric: config.symmetric,
    steps: config.steps,
    seed: config.seed,
    config,
    device: 'test',
    pplFp: 10,
    pplQuant: 11,
    evalTokens: 100,
    seconds: { load: 1 },
    layerErrors: [],
    blockErrors: [],
  };
}

function expectRunClean(config: RunConfig, error?: string): void {
  const run = runResult(config, error);
  expectNoToken('run result JSON', runToJson(run));
  expectNoToken('run file name', runFileName(run));
  expectNoToken('run link', configToQuery(config, { autorun: true }));
}

describe('access token hygiene (planted token through the stand-in Hub)', () => {
  test('the search finds the token wherever it is planted (control)', () => {
    const hit = (v: unknown) => deepJson(v).includes(TOKEN);
    expect(hit({ headers: { Authorization: `Bearer ${TOKEN}` } })).toBe(true);
    expect(hit(new Map([['k', { deep: [1, { t: TOKEN }] }]]))).toBe(true);
    expect(hit(new Set([new TextEncoder().encode(`xx${TOKEN}yy`)]))).toBe(true);
    expect(hit(Object.defineProperty({}, 'hidden', { value: TOKEN, enumerable: false }))).toBe(true);
    expect(hit(new Error('x', { cause: { token: TOKEN } }))).toBe(true);
    expect(hit({ [Symbol('s')]: TOKEN })).toBe(true);
    expect(
      hit({
        get lazy() {
          return TOKEN;
        },
      }),
    ).toBe(true);
    expect(hit({ nothing: 'here' })).toBe(false);
  });

  test('a private repo loads with the token, which appears in no cache entry, model, source or run export', async () => {
    const o = opts();
    const cache = o.cache as MemoryHubCache;
    hub.log.length = 0;
    const m = await loadFromHub(REPO, o);
    // The token was really used: every request to the private repo carried it.
    const reqs = hub.log.filter((r) => r.path.startsWith(`/${REPO}/`));
    expect(reqs.length).toBeGreaterThan(3);
    expect(reqs.every((r) => r.authorized)).toBe(true);
    expect(cache.entries.size).toBeGreaterThan(3);

    expectNoToken('cache keys', [...cache.entries.keys()]);
    expectNoToken('cache entries (metadata and bytes)', cache.entries);
    expectNoToken('source string', m.source);
    expect(m.source).toBe(`hf:${REPO}@main`);
    expectNoToken('LoadedModel', m);
    expectNoToken('weights config', m.weights.config);
    // Reading tensors goes through the cache, not the network with the token.
    const before = hub.log.length;
    await m.weights.get('model.embed_tokens.weight');
    expect(hub.log.length).toBe(before);
    expectRunClean({ ...DEFAULT_CONFIG, model: m.source, method: 'teq', bits: 3 });
    expectNoToken(
      'hub request paths',
      hub.log.map((r) => r.path),
    );
  });

  test('403 (a token the repo does not accept): message, stack, error object, run export', async () => {
    // The planted token sent to a repo that wants another one.
    const other = await startFakeHub({ [REPO]: { dir: HF_DIR, token: 'hf_the_right_one' } });
    try {
      const e = await hubError(loadFromHub(REPO, opts({ endpoint: other.endpoint })));
      expect(e.status).toBe(403);
      expect(other.log.some((r) => r.status === 403)).toBe(true);
      expectNoToken('403 error', e);
      expectRunClean({ ...DEFAULT_CONFIG, model: `hf:${REPO}@main` }, describeError(e).message);
    } finally {
      await other.close();
    }
  });

  test('401 answered to a request that carried the token (a gated repo)', async () => {
    const o = opts();
    const e = await hubError(
      loadFromHub(REPO, {
        ...o,
        fetch: async (input, init) => {
          urls.push(input instanceof Request ? input.url : String(input));
          expect(new Headers(init?.headers).get('authorization')).toBe(`Bearer ${TOKEN}`);
          return new Response('Access to model test/private is restricted', { status: 401 });
        },
      }),
    );
    expect(e.status).toBe(401);
    expectNoToken('401 error', e);
    expectRunClean({ ...DEFAULT_CONFIG, model: `hf:${REPO}@main` }, describeError(e).message);
  });

  test('404 with the right token (unknown revision, and a missing file of a public repo)', async () => {
    const e = await hubError(loadFromHub(REPO, opts({ revision: 'no-such-branch' })));
    expect(e.status).toBe(404);
    expectNoToken('404 error (revision)', e);
    const missing = await hubError(loadFromHub('test/public', opts({ revision: 'v9' })));
    expect(missing.status).toBe(404);
    expectNoToken('404 error (public repo, token sent anyway)', missing);
    expectRunClean({ ...DEFAULT_CONFIG, model: `hf:${REPO}@no-such-branch` }, describeError(e).message);
  });

  test('a cut download and an unreachable host', async () => {
    const o = opts();
    hub.truncateNext('model.safetensors', 300_000);
    const cut = await hubError(loadFromHub(REPO, o));
    expect(cut.message).toMatch(/stopped at 300000 of/);
    expectNoToken('truncation error', cut);
    expectNoToken('cache after a cut download', (o.cache as MemoryHubCache).entries);

    const unreachable = await hubError(loadFromHub(REPO, opts({ endpoint: 'http://127.0.0.1:9' })));
    expect(unreachable.message).toMatch(/Could not reach/);
    expectNoToken('network error', unreachable);
  });
});

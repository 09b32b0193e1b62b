import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startFakeHub, type FakeHub } from '../../e2e/hub-server';
import { HubError } from './errors';
import { loadHfFolder } from './hf-folder';
import { hubModelSize, loadFromHub, type HubProgress } from './hub';
import { MemoryHubCache } from './hub-cache';
import { CONVERSION_BOT, CONVERSION_TITLE } from './hub-conversion';
import { bitEqual, HF_DIR, hfFolderSources, REFERENCE_IDS, REFERENCE_SENTENCE, shardedStoriesFiles } from './testing/fixtures';

const TOKEN = 'hf_test_secret_token_123';
let hub: FakeHub;
let shardDir: string;
let quantizedDir: string;
let binOnlyDir: string;
const local = await loadHfFolder(hfFolderSources());
const modelSize = hfFolderSources().find((s) => s.name === 'model.safetensors')!.size;

beforeAll(async () => {
  shardDir = mkdtempSync(join(tmpdir(), 'hub-shards-'));
  for (const [n, b] of await shardedStoriesFiles()) writeFileSync(join(shardDir, n), b);
  // the same model's files with a GPTQ quantization_config in its config.json
  quantizedDir = mkdtempSync(join(tmpdir(), 'hub-gptq-'));
  for (const f of ['config.json', 'tokenizer.json', 'model.safetensors']) copyFileSync(join(HF_DIR, f), join(quantizedDir, f));
  const cfg = JSON.parse(readFileSync(join(HF_DIR, 'config.json'), 'utf8'));
  writeFileSync(join(quantizedDir, 'config.json'), JSON.stringify({ ...cfg, quantization_config: { quant_method: 'awq', bits: 4 } }));
  // main with the config, the tokenizer and a pytorch_model.bin only (its bytes are never asked for)
  binOnlyDir = mkdtempSync(join(tmpdir(), 'hub-bin-only-'));
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(HF_DIR, f), join(binOnlyDir, f));
  writeFileSync(join(binOnlyDir, 'pytorch_model.bin'), new Uint8Array(64));
  hub = await startFakeHub({
    // the conversion bot's pull request #4 on main's head adds model.safetensors; #1 is closed, #2 is
    // someone else's with the bot's title, #3 sits on an older main; 55 other discussions first (two pages)
    'test/bin-only': {
      dir: binOnlyDir,
      revisions: ['main', 'v1'],
      revisionDirs: { 'refs/pr/1': HF_DIR, 'refs/pr/2': HF_DIR, 'refs/pr/3': HF_DIR, 'refs/pr/4': HF_DIR },
      commits: {
        main: ['c-main-2', 'c-main-1'],
        'refs/pr/2': ['c-pr-2', 'c-main-2'],
        'refs/pr/3': ['c-pr-3', 'c-main-1'],
        'refs/pr/4': ['c-pr-4', 'c-main-2'],
      },
      discussions: [
        ...Array.from({ length: 55 }, (_, i) => ({ num: 100 + i, title: 'A question', status: 'open', isPullRequest: false, author: { name: 'someone' } })),
        { num: 1, title: CONVERSION_TITLE, status: 'closed', isPullRequest: true, author: { name: CONVERSION_BOT } },
        { num: 2, title: CONVERSION_TITLE, status: 'open', isPullRequest: true, author: { name: 'someone' } },
        { num: 3, title: CONVERSION_TITLE, status: 'open', isPullRequest: true, author: { name: CONVERSION_BOT } },
        { num: 4, title: CONVERSION_TITLE, status: 'open', isPullRequest: true, author: { name: CONVERSION_BOT } },
      ],
    },
    'test/bin-no-conversion': {
      dir: binOnlyDir,
      commits: { main: ['c-main-1'] },
      discussions: [{ num: 3, title: CONVERSION_TITLE, status: 'open', isPullRequest: true, author: { name: CONVERSION_BOT } }],
      revisionDirs: { 'refs/pr/3': HF_DIR },
    },
    'test/quantized': { dir: quantizedDir },
    'test/stories260K': { dir: HF_DIR, revisions: ['main', 'v1'] },
    'test/private': { dir: HF_DIR, token: TOKEN },
    'test/sharded': { dir: shardDir },
  });
});
afterAll(async () => {
  await hub.close();
  rmSync(shardDir, { recursive: true, force: true });
  rmSync(quantizedDir, { recursive: true, force: true });
  rmSync(binOnlyDir, { recursive: true, force: true });
});
beforeEach(() => {
  hub.log.length = 0;
  hub.setRangeSupport(true);
});

async function expectSameTensors(m: Awaited<ReturnType<typeof loadFromHub>>) {
  expect([...m.weights.shapes.keys()].sort()).toEqual([...local.weights.shapes.keys()].sort());
  for (const name of local.weights.shapes.keys()) expect(bitEqual(await m.weights.get(name), await local.weights.get(name)), name).toBe(true);
}

async function hubError(p: Promise<unknown>): Promise<HubError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, 'expected a HubError').toBeInstanceOf(HubError);
  return e as HubError;
}

describe('Hugging Face Hub loader (local stand-in server)', () => {
  test('loads a repo: headers by Range first, then the data, with progress; tensors equal the local folder', async () => {
    const cache = new MemoryHubCache();
    const progress: HubProgress[] = [];
    const m = await loadFromHub('test/stories260K', { endpoint: hub.endpoint, cache, onProgress: (p) => progress.push(p) });
    await expectSameTensors(m);
    expect(m.source).toBe('hf:test/stories260K@main');
    expect(m.tokenizer.encode(REFERENCE_SENTENCE)).toEqual(REFERENCE_IDS);
    const model = hub.log.filter((r) => r.path.endsWith('/resolve/main/model.safetensors'));
    expect(model[0].range).toBe('bytes=0-7');
    expect(model[1].range).toMatch(/^bytes=8-\d+$/);
    expect(model.at(-1)!.range).toBeUndefined();
    expect(model.at(-1)!.status).toBe(200);
    const dl = progress.filter((p) => p.file === 'model.safetensors' && p.phase === 'download');
    expect(dl.at(-1)).toEqual({ file: 'model.safetensors', loaded: modelSize, total: modelSize, phase: 'download' });
    expect(dl.every((p, i) => i === 0 || p.loaded >= dl[i - 1].loaded)).toBe(true);
  });

  test('a second load comes from the cache (a HEAD to check the ETag, no data)', async () => {
    const cache = new MemoryHubCache();
    await loadFromHub('test/stories260K', { endpoint: hub.endpoint, cache });
    hub.log.length = 0;
    const progress: HubProgress[] = [];
    const m = await loadFromHub('test/stories260K', { endpoint: hub.endpoint, cache, onProgress: (p) => progress.push(p) });
    await expectSameTensors(m);
    // Only the optional index is asked for again (the repo has none).
    expect(hub.log.filter((r) => r.method === 'GET').map((r) => `${r.path} ${r.status}`)).toEqual([
      '/test/stories260K/resolve/main/model.safetensors.index.json 404',
    ]);
    expect(progress.find((p) => p.file === 'model.safetensors')!.phase).toBe('cached');
  });

  test('a revision other than main is used in the URL and the cache key', async () => {
    const cache = new MemoryHubCache();
    const m = await loadFromHub('test/stories260K', { endpoint: hub.endpoint, cache, revision: 'v1' });
    expect(m.source).toBe('hf:test/stories260K@v1');
    expect(hub.log.every((r) => r.path.includes('/resolve/v1/'))).toBe(true);
    expect([...cache.entries.keys()]).toContain('test/stories260K@v1/model.safetensors');
  });

  test('404: unknown revision or file says to check the id and revision', async () => {
    const e = await hubError(loadFromHub('test/stories260K', { endpoint: hub.endpoint, cache: new MemoryHubCache(), revision: 'nope' }));
    expect(e.status).toBe(404);
    expect(e.message).toMatch(/"config\.json" in test\/stories260K at revision "nope" was not found \(404\)\. Check the repo id .* and the revision/);
  });

  test('private repo: 401 without a token asks for one; 403 with a wrong one; works with the right one', async () => {
    const e = await hubError(loadFromHub('test/private', { endpoint: hub.endpoint, cache: new MemoryHubCache() }));
    expect(e.status).toBe(401);
    expect(e.message).toMatch(/needs authorization \(401\).*private or gated.*access token/);
    const wrong = await hubError(loadFromHub('test/private', { endpoint: hub.endpoint, cache: new MemoryHubCache(), token: 'hf_wrong' }));
    expect(wrong.status).toBe(403);
    expect(wrong.message).toMatch(/refused .* with the token given/);
    expect(wrong.message).not.toMatch(/hf_wrong/);

    const cache = new MemoryHubCache();
    hub.log.length = 0;
    const m = await loadFromHub('test/private', { endpoint: hub.endpoint, cache, token: TOKEN });
    await expectSameTensors(m);
    expect(hub.log.filter((r) => r.path.startsWith('/test/private/')).every((r) => r.authorized)).toBe(true);
    // The token is not kept anywhere in the cache.
    const stored = JSON.stringify([...cache.entries].map(([k, v]) => [k, v.etag, v.size]));
    expect(stored).not.toMatch(TOKEN);
    for (const v of cache.entries.values()) expect(Buffer.concat(v.chunks).includes(TOKEN)).toBe(false);
  });

  test('an unknown repo (the Hub answers 401) and a malformed id', async () => {
    expect((await hubError(loadFromHub('test/does-not-exist', { endpoint: hub.endpoint, cache: new MemoryHubCache() }))).message).toMatch(
      /401.*or does not exist/,
    );
    expect((await hubError(loadFromHub('not a repo!', { endpoint: hub.endpoint }))).message).toMatch(/is not a Hugging Face repo id/);
  });

  test('a truncated body is reported, kept, and the next load resumes with a Range request', async () => {
    const cache = new MemoryHubCache();
    hub.truncateNext('model.safetensors', 300000);
    const e = await hubError(loadFromHub('test/stories260K', { endpoint: hub.endpoint, cache }));
    expect(e.message).toMatch(
      new RegExp(`"model\\.safetensors" from test/stories260K stopped at 300000 of ${modelSize} bytes.*load the model again to resume`),
    );
    expect((await cache.stat({ repo: 'test/stories260K', revision: 'main', file: 'model.safetensors' }))?.stored).toBe(300000);

    hub.log.length = 0;
    const m = await loadFromHub('test/stories260K', { endpoint: hub.endpoint, cache });
    await expectSameTensors(m);
    const resumed = hub.log.find((r) => r.path.endsWith('/model.safetensors') && r.range === 'bytes=300000-');
    expect(resumed?.status).toBe(206);
    expect(resumed?.ifRange).toMatch(/^".+"$/);
  });

  test('a connection cut while the safetensors header arrives is a HubError to retry, not "invalid JSON"', async () => {
    const cache = new MemoryHubCache();
    hub.truncateNext('model.safetensors', 100); // the probe is 8 bytes; the header range is cut
    const e = await hubError(loadFromHub('test/stories260K', { endpoint: hub.endpoint, cache }));
    expect(e.message).toMatch(/"model\.safetensors" from test\/stories260K stopped at .*reading a header range/);
    expect(e.message).not.toMatch(/JSON/);
    await expectSameTensors(await loadFromHub('test/stories260K', { endpoint: hub.endpoint, cache }));
  });

  test('a server without Range support: no header probe possible, falls back to a full download', async () => {
    hub.setRangeSupport(false);
    const m = await loadFromHub('test/stories260K', { endpoint: hub.endpoint, cache: new MemoryHubCache() });
    await expectSameTensors(m);
    const gets = hub.log.filter((r) => r.path.endsWith('/model.safetensors'));
    expect(gets).toHaveLength(1);
    expect(gets[0].status).toBe(200);
  });

  test('an already quantized repo is refused from its config.json, before any weights are requested', async () => {
    await expect(loadFromHub('test/quantized', { endpoint: hub.endpoint, cache: new MemoryHubCache() })).rejects.toThrow(
      /already quantized \(quantization_config with quant_method "awq"\)/,
    );
    expect(hub.log.map((r) => r.path)).toEqual(['/test/quantized/resolve/main/config.json']);
  });

  test('a sharded repo (index + shards)', async () => {
    const m = await loadFromHub('test/sharded', { endpoint: hub.endpoint, cache: new MemoryHubCache() });
    await expectSameTensors(m);
    expect(hub.log.some((r) => r.path.endsWith('/model-00002-of-00002.safetensors') && r.range === 'bytes=0-7')).toBe(true);
  });
});

describe('a repo whose main has only pytorch_model.bin', () => {
  test("loads the safetensors of the conversion bot's open pull request on main's head, as transformers does", async () => {
    const m = await loadFromHub('test/bin-only', { endpoint: hub.endpoint, cache: new MemoryHubCache() });
    await expectSameTensors(m);
    expect(m.source).toBe('hf:test/bin-only@refs/pr/4');
    const api = hub.log.filter((r) => r.path.startsWith('/api/')).map((r) => r.path);
    // the second page of discussions was read; #3's base was checked and refused; #1 and #2 never asked for
    expect(api).toEqual([
      '/api/models/test/bin-only/commits/main',
      '/api/models/test/bin-only/discussions',
      '/api/models/test/bin-only/discussions',
      '/api/models/test/bin-only/commits/refs%2Fpr%2F3',
      '/api/models/test/bin-only/commits/refs%2Fpr%2F4',
    ]);
    expect(hub.log.some((r) => r.path.endsWith('/resolve/refs%2Fpr%2F4/model.safetensors') && r.status === 200)).toBe(true);
    expect(hub.log.some((r) => r.path.includes('pytorch_model.bin'))).toBe(false);
  });

  test('its size comes from the pull request too, and names that revision', async () => {
    expect(await hubModelSize('test/bin-only', { endpoint: hub.endpoint })).toEqual({ bytes: modelSize, files: ['model.safetensors'], revision: 'refs/pr/4' });
  });

  test('without a conversion on top of main, or at a revision other than main, the error says what this loader reads', async () => {
    const none = await hubError(loadFromHub('test/bin-no-conversion', { endpoint: hub.endpoint, cache: new MemoryHubCache() }));
    expect(none.status).toBe(404);
    expect(none.message).toMatch(
      /has neither model\.safetensors nor model\.safetensors\.index\.json, and no open pull request of the Hub's safetensors conversion \(SFconvertbot\) on top of main.*not pytorch_model\.bin/,
    );
    expect((await hubError(hubModelSize('test/bin-no-conversion', { endpoint: hub.endpoint }))).message).toMatch(/no open pull request/);
    hub.log.length = 0;
    const pinned = await hubError(loadFromHub('test/bin-only', { endpoint: hub.endpoint, revision: 'v1', cache: new MemoryHubCache() }));
    expect(pinned.message).toMatch(/at "v1" has neither model\.safetensors nor model\.safetensors\.index\.json\. This loader reads/);
    expect(hub.log.some((r) => r.path.startsWith('/api/'))).toBe(false);
  });
});

describe('the size of a Hub model before downloading it', () => {
  test('one file: a HEAD request of model.safetensors, its bytes; nothing is downloaded', async () => {
    const size = await hubModelSize('test/stories260K', { endpoint: hub.endpoint });
    expect(size).toEqual({ bytes: modelSize, files: ['model.safetensors'] });
    expect(hub.log.map((r) => `${r.method} ${r.path}`)).toEqual(['HEAD /test/stories260K/resolve/main/model.safetensors']);
  });

  test('sharded: the index, then a HEAD of each shard; the sum of the shard files', async () => {
    const shards = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    const size = await hubModelSize('test/sharded', { endpoint: hub.endpoint });
    expect(size.files).toEqual(shards);
    expect(size.bytes).toBe(shards.reduce((n, f) => n + statSync(join(shardDir, f)).size, 0));
    expect(hub.log.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual(['/test/sharded/resolve/main/model.safetensors.index.json']);
  });

  test("a private repo without a token, a bad repo id: the loader's errors, before any request for a bad id", async () => {
    expect((await hubError(hubModelSize('test/private', { endpoint: hub.endpoint }))).status).toBe(401);
    hub.log.length = 0;
    await expect(hubModelSize('a/..', { endpoint: hub.endpoint })).rejects.toThrow();
    expect(hub.log).toEqual([]);
  });
});

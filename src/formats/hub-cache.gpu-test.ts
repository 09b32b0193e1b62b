// Browser-only checks (run by the GPU harness in real Chromium, no GPU work): the OPFS Hub cache
// and the Hub loader streaming into it, against the app's own public/models/stories260K-hf.
import type { Gpu } from '../gpu/gpu';
import { loadFromHub } from './hub';
import { OpfsHubCache, type HubCacheKey } from './hub-cache';
import { loadBundled } from './load';

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

const key: HubCacheKey = { repo: 'test/opfs', revision: 'main', file: 'sub/dir/data.bin' };

/** fetch that maps the Hub layout onto the dev server's /models/stories260K-hf/ folder. */
const devServerHub = ((input: RequestInfo | URL, init?: RequestInit) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const m = /\/resolve\/[^/]+\/(.+)$/.exec(url);
  const file = m ? m[1] : 'none';
  if (!['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'].includes(file))
    return Promise.resolve(new Response('Entry not found', { status: 404 }));
  return fetch(`/models/stories260K-hf/${file}`, init);
}) as typeof fetch;

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  'opfs cache: write, resume, read back, delete': async () => {
    const cache = new OpfsHubCache();
    await cache.delete(key);
    assert((await cache.stat(key)) === undefined, 'entry should start absent');
    const w1 = await cache.openWriter(key, { size: 10, etag: '"e1"', resume: false });
    await w1.write(new Uint8Array([0, 1, 2, 3]));
    await w1.abort();
    const partial = await cache.stat(key);
    assert(partial && !partial.complete && partial.stored === 4 && partial.etag === '"e1"', `partial stat ${JSON.stringify(partial)}`);
    const w2 = await cache.openWriter(key, { size: 10, etag: '"e1"', resume: true });
    await w2.write(new Uint8Array([4, 5, 6, 7, 8, 9]));
    await w2.finish();
    const full = await cache.stat(key);
    assert(full && full.complete && full.stored === 10, `full stat ${JSON.stringify(full)}`);
    const src = await cache.source(key);
    const got = [...(await src.read(2, 6))];
    assert(JSON.stringify(got) === '[2,3,4,5,6,7]', `read back ${got}`);
    await cache.delete(key);
    assert((await cache.stat(key)) === undefined, 'entry should be deleted');
  },

  'hub loader streams into OPFS and the second load is served from it': async () => {
    const cache = new OpfsHubCache();
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'])
      await cache.delete({ repo: 'test/stories', revision: 'main', file });
    const phases: string[] = [];
    const a = await loadFromHub('test/stories', {
      endpoint: 'https://hub.invalid',
      cache,
      fetch: devServerHub,
      onProgress: (p) => phases.push(`${p.file}:${p.phase}`),
    });
    assert(phases.includes('model.safetensors:download'), `phases ${phases.join(',')}`);
    const again: string[] = [];
    const b = await loadFromHub('test/stories', {
      endpoint: 'https://hub.invalid',
      cache,
      fetch: devServerHub,
      onProgress: (p) => again.push(`${p.file}:${p.phase}`),
    });
    assert(again.includes('model.safetensors:cached') && !again.includes('model.safetensors:download'), `second load ${again.join(',')}`);
    const ref = await loadBundled(undefined, { format: 'hf' });
    for (const name of ['model.embed_tokens.weight', 'model.layers.4.self_attn.q_proj.weight', 'model.norm.weight']) {
      const [x, y, z] = await Promise.all([a.weights.get(name), b.weights.get(name), ref.weights.get(name)]);
      assert(x.length === z.length && x.every((v, i) => v === z[i] && y[i] === v), `${name} differs from the bundled copy`);
    }
    assert(JSON.stringify(a.tokenizer.encode('Once upon a time')) === JSON.stringify(ref.tokenizer.encode('Once upon a time')), 'tokenizer differs');
  },
};

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FormatError } from './errors';
import { loadBundled, loadModelFromFiles } from './load';
import { bitEqual, fixture, GREEDY_IDS, GREEDY_TEXT, hfFolderSources, REFERENCE_IDS, REFERENCE_SENTENCE } from './testing/fixtures';

const PUBLIC_MODELS = resolve(__dirname, '../../public/models');

/** fetch over public/models, as the dev server would serve it. */
const publicFetch = (async (input: string | URL | Request) => {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  const path = resolve(PUBLIC_MODELS, decodeURIComponent(url.pathname.replace(/^\/models\//, '')));
  if (!existsSync(path)) return new Response('not found', { status: 404 });
  return new Response(readFileSync(path));
}) as typeof fetch;

describe('loadModelFromFiles detects the format', () => {
  test('a .gguf file', async () => {
    const m = await loadModelFromFiles([fixture('models/stories260K.gguf')]);
    expect(m.weights.config.sourceArchitecture).toBe('gguf:llama');
  });

  test('a llama2.c model + tokenizer, in either order, as browser File objects', async () => {
    const file = (n: string) => new File([readFileSync(resolve(PUBLIC_MODELS, n))], n);
    for (const files of [[file('stories260K.bin'), file('tok512.bin')], [file('tok512.bin'), file('stories260K.bin')]]) {
      const m = await loadModelFromFiles(files);
      expect(m.weights.config.sourceArchitecture).toBe('llama2.c');
      expect(m.tokenizer.encode(REFERENCE_SENTENCE)).toEqual(REFERENCE_IDS);
    }
  });

  test('a Hugging Face folder', async () => {
    const m = await loadModelFromFiles(hfFolderSources());
    expect(m.weights.config.sourceArchitecture).toBe('LlamaForCausalLM');
  });

  test('unrecognised or incomplete selections say what is supported', async () => {
    const err = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);
    const e1 = await err(loadModelFromFiles([fixture('data/tinystories_val.txt')]));
    expect(e1).toBeInstanceOf(FormatError);
    expect(e1!.message).toMatch(/not a model this studio recognises.*\.gguf.*llama2\.c.*config\.json/);
    expect((await err(loadModelFromFiles([fixture('models/stories260K.bin')])))!.message).toMatch(/llama2\.c model without its tokenizer/);
    expect((await err(loadModelFromFiles([])))!.message).toMatch(/nothing was selected/);
  });
});

describe('loadBundled', () => {
  test('every bundled format is stories260K with the same weights (Q/K permuted in the HF folder)', async () => {
    const gguf = await loadBundled('http://app.test/models/', { fetch: publicFetch });
    const c = await loadBundled('http://app.test/models/', { fetch: publicFetch, format: 'llama2c' });
    const hf = await loadBundled('http://app.test/models/', { fetch: publicFetch, format: 'hf' });
    for (const m of [gguf, c, hf]) {
      expect(m.source).toBe('bundled:stories260K');
      expect(m.weights.config.name).toBe('stories260K');
      expect(m.tokenizer.decode(GREEDY_IDS)).toBe(GREEDY_TEXT);
    }
    expect(gguf.weights.config.ropeStyle).toBe('interleaved');
    expect(hf.weights.config.ropeStyle).toBe('half');
    for (const name of c.weights.shapes.keys()) {
      expect(bitEqual(await gguf.weights.get(name), await c.weights.get(name)), name).toBe(true);
      if (!/[qk]_proj/.test(name)) expect(bitEqual(await hf.weights.get(name), await c.weights.get(name)), name).toBe(true);
    }
  });

  test('a missing file says how to regenerate public/models', async () => {
    await expect(loadBundled('http://app.test/nowhere/', { fetch: publicFetch })).rejects.toThrow(/could not be fetched .*make-hf-fixture/);
  });
});

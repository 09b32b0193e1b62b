import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { bytesSource, type ByteSource } from './byte-source';
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
    for (const files of [
      [file('stories260K.bin'), file('tok512.bin')],
      [file('tok512.bin'), file('stories260K.bin')],
    ]) {
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
    const err = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    const e1 = await err(loadModelFromFiles([fixture('data/tinystories_val.txt')]));
    expect(e1).toBeInstanceOf(FormatError);
    expect(e1!.message).toMatch(/not a model this studio recognises.*\.gguf.*llama2\.c.*config\.json/);
    expect((await err(loadModelFromFiles([fixture('models/stories260K.bin')])))!.message).toMatch(/llama2\.c model without its tokenizer/);
    expect((await err(loadModelFromFiles([])))!.message).toMatch(/nothing was selected/);
  });
});

describe('llama2.c faults through file detection each get their own message', () => {
  const model = () => new Uint8Array(readFileSync(resolve(PUBLIC_MODELS, 'stories260K.bin')));
  const tok = () => bytesSource('tok512.bin', new Uint8Array(readFileSync(resolve(PUBLIC_MODELS, 'tok512.bin'))));
  const withHeader = (fields: Record<number, number>) => {
    const b = model();
    for (const [i, v] of Object.entries(fields)) new DataView(b.buffer).setInt32(4 * Number(i), v, true);
    return bytesSource('m.bin', b);
  };
  const message = (p: Promise<unknown>) =>
    p.then(
      () => '(loaded)',
      (e: unknown) => (e instanceof FormatError ? e.message : `untyped: ${String(e)}`),
    );
  const cases: [string, () => ByteSource[], RegExp][] = [
    ['a negative dim', () => [withHeader({ 0: -64 }), tok()], /m\.bin: is not a llama2\.c v0 model: its header is implausible \(dim\): dim -64/],
    ['zero heads', () => [withHeader({ 3: 0 }), tok()], /header is implausible \(n_heads must divide dim into an even head size\)/],
    ['kv heads that do not divide the heads', () => [withHeader({ 4: 3 }), tok()], /header is implausible \(n_kv_heads must divide n_heads\)/],
    ['a zero sequence length', () => [withHeader({ 6: 0 }), tok()], /header is implausible \(seq_len\)/],
    [
      'more layers than the file holds',
      () => [withHeader({ 2: 6 }), tok()],
      /m\.bin: is 1056540 bytes but its header \(dim 64, 6 layers, vocab 512\) needs \d+\. The file is truncated/,
    ],
    [
      'fewer layers than the file holds',
      () => [withHeader({ 2: 4 }), tok()],
      /m\.bin: is 1056540 bytes, \d+ more than a llama2\.c model with its header \(dim 64, 4 layers, vocab 512, seq 512\) takes/,
    ],
    ['a header vocabulary smaller than the file holds', () => [withHeader({ 5: 256 }), tok()], /m\.bin: is 1056540 bytes, \d+ more than/],
    [
      "a tokenizer with fewer tokens than the model's vocabulary",
      () => [withHeader({}), bytesSource('tok.bin', new Uint8Array(readFileSync(resolve(PUBLIC_MODELS, 'tok512.bin'))).subarray(0, 3000))],
      /tok\.bin: ends after \d+ of 512 tokens \(the model's vocab_size\)/,
    ],
    [
      'a random .bin',
      () => [
        bytesSource(
          'random.bin',
          Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24),
        ),
      ],
      /random\.bin: is not a llama2\.c v0 model: its header is implausible/,
    ],
  ];
  for (const [what, files, expected] of cases) {
    test(what, async () => {
      expect(await message(loadModelFromFiles(files()))).toMatch(expected);
    });
  }
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

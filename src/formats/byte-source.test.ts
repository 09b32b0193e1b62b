import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startFakeHub, type FakeHub } from '../../e2e/hub-server';
import { blobSource, bytesSource, httpSource } from './byte-source';
import { FormatError } from './errors';
import { expectedShapes } from './hf-config';
import { loadHfFolder } from './hf-folder';
import { loadModelFromFiles } from './load';
import { writeSafetensors } from './safetensors';
import { fixture, FIXTURES, REFERENCE_IDS, REFERENCE_SENTENCE } from './testing/fixtures';

let hub: FakeHub;
beforeAll(async () => {
  hub = await startFakeHub({ 'f/fixtures': { dir: `${FIXTURES}/models` } });
});
afterAll(() => hub.close());

describe('ByteSource implementations', () => {
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);

  test('memory and Blob sources read exact ranges and refuse reads past the end', async () => {
    for (const s of [bytesSource('m', bytes), blobSource(new Blob([bytes]), 'b')]) {
      expect(s.size).toBe(1000);
      expect([...(await s.read(998, 2))]).toEqual([230, 231]);
      await expect(s.read(999, 2)).rejects.toThrow(FormatError);
      await expect(s.read(-1, 1)).rejects.toThrow(/needs bytes -1\.\.0 but the file has 1000 bytes/);
    }
  });

  test('HTTP source reads by Range; a GGUF loads through it without fetching the whole file', async () => {
    hub.setRangeSupport(true);
    hub.log.length = 0;
    const src = await httpSource(`${hub.endpoint}/f/fixtures/resolve/main/stories260K.gguf`);
    expect(src.name).toBe('stories260K.gguf');
    expect(src.size).toBe(1185376);
    const m = await loadModelFromFiles([src]);
    expect(m.tokenizer.encode(REFERENCE_SENTENCE)).toEqual(REFERENCE_IDS);
    const local = await fixture('models/stories260K.gguf').read(20000, 64);
    expect([...(await src.read(20000, 64))]).toEqual([...local]);
    expect(hub.log.every((r) => r.status === 206)).toBe(true);
    expect(hub.log.some((r) => r.range === 'bytes=20000-20063')).toBe(true);
  });

  test('HTTP source falls back to one full download when the server ignores Range', async () => {
    hub.setRangeSupport(false);
    hub.log.length = 0;
    const src = await httpSource(`${hub.endpoint}/f/fixtures/resolve/main/tok512.bin`);
    expect(src.size).toBe(6227);
    expect([...(await src.read(4, 4))]).toEqual([...(await fixture('models/tok512.bin').read(4, 4))]);
    expect(hub.log).toHaveLength(1);
    hub.setRangeSupport(true);
  });

  test('HTTP source: a 404 is a clear error', async () => {
    await expect(httpSource(`${hub.endpoint}/f/fixtures/resolve/main/nope.gguf`)).rejects.toThrow(/nope\.gguf: the server answered 404/);
  });
});

describe('OPT checkpoints', () => {
  test('a tiny OPT saved without the "model." prefix and without lm_head loads (tied, positions offset 2)', async () => {
    const config = TINY_OPT;
    const { parseHfConfig } = await import('./hf-config');
    const shapes = expectedShapes(parseHfConfig(config));
    expect(shapes.get('model.decoder.embed_positions.weight')).toEqual([5, 4]);
    expect(shapes.get('model.decoder.layers.0.fc1.bias')).toEqual([8]);
    expect(shapes.get('model.decoder.layers.0.self_attn.out_proj.bias')).toEqual([4]);
    expect(shapes.get('model.decoder.final_layer_norm.bias')).toEqual([4]);
    let k = 0;
    const tensors = [...shapes]
      .filter(([n]) => n !== 'lm_head.weight')
      .map(([n, shape]) => ({ name: n.replace(/^model\./, ''), shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => k++) }));
    const st = writeSafetensors(tensors);
    const m = await loadHfFolder([
      bytesSource('config.json', new TextEncoder().encode(JSON.stringify(config))),
      bytesSource('model.safetensors', st),
      bytesSource('vocab.json', new TextEncoder().encode(JSON.stringify(TINY_VOCAB))),
      bytesSource('merges.txt', new TextEncoder().encode('#version: 0.2\n')),
    ]);
    expect(m.weights.config).toMatchObject({ arch: 'opt', positionOffset: 2, tiedEmbeddings: true });
    expect(await m.weights.get('lm_head.weight')).toEqual(await m.weights.get('model.decoder.embed_tokens.weight'));
    expect((await m.weights.get('model.decoder.embed_positions.weight'))[0]).toBe(24);
    expect(m.tokenizer.encode('ab')).toEqual([0, 1]);
  });

  test('a tied OPT whose safetensors conversion kept the shared tensor as lm_head.weight only loads it as the embedding', async () => {
    const config = { ...TINY_OPT, tie_word_embeddings: true };
    const { parseHfConfig } = await import('./hf-config');
    const shapes = expectedShapes(parseHfConfig(config));
    let k = 0;
    const data = new Map([...shapes].map(([n, shape]) => [n, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => k++)]));
    const files = (omit: string) => [
      bytesSource('config.json', new TextEncoder().encode(JSON.stringify(config))),
      bytesSource(
        'model.safetensors',
        writeSafetensors([...data].filter(([n]) => n !== omit).map(([name, d]) => ({ name, shape: shapes.get(name)!, data: d }))),
      ),
      bytesSource('vocab.json', new TextEncoder().encode(JSON.stringify(TINY_VOCAB))),
      bytesSource('merges.txt', new TextEncoder().encode('#version: 0.2\n')),
    ];
    const m = await loadHfFolder(files('model.decoder.embed_tokens.weight'));
    expect(await m.weights.get('model.decoder.embed_tokens.weight')).toEqual(data.get('lm_head.weight'));
    // untied, the embedding is a tensor of its own: still missing
    const untied = { ...config, tie_word_embeddings: false };
    const rest = files('model.decoder.embed_tokens.weight').slice(1);
    await expect(loadHfFolder([bytesSource('config.json', new TextEncoder().encode(JSON.stringify(untied))), ...rest])).rejects.toThrow(
      /missing a tensor the config implies.*model\.decoder\.embed_tokens\.weight|model\.decoder\.embed_tokens\.weight.*missing a tensor/s,
    );
  });
});

const TINY_OPT = {
  architectures: ['OPTForCausalLM'],
  hidden_size: 4,
  ffn_dim: 8,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  vocab_size: 6,
  max_position_embeddings: 3,
  do_layer_norm_before: true,
  word_embed_proj_dim: 4,
};
const TINY_VOCAB = { a: 0, b: 1, '<s>': 2, '</s>': 3, '<pad>': 4, '<unk>': 5 };

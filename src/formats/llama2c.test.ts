import { describe, expect, test } from 'vitest';
import { bytesSource } from './byte-source';
import { llama2cExpectedBytes, loadLlama2c, readLlama2cHeader, readLlama2cTokenizer } from './llama2c';
import { bitEqual, fixture } from './testing/fixtures';
import { errorOf } from './testing/format-errors';

function header(vals: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(vals).buffer);
}

/** A llama2.c file whose i-th float is i (so every tensor's position in the file is visible). */
function syntheticModel(h: number[]): Uint8Array {
  const [dim, hidden, layers, heads, kvHeads, vocab, seq] = h;
  const need = llama2cExpectedBytes({ dim, hidden, layers, heads, kvHeads, vocab: Math.abs(vocab), seqLen: seq, shared: vocab > 0 });
  const floats = new Float32Array((need - 28) / 4).map((_, i) => i);
  const out = new Uint8Array(need);
  out.set(header(h));
  out.set(new Uint8Array(floats.buffer), 28);
  return out;
}

describe('llama2.c stories260K', () => {
  test('header as in SOURCES.md; tensors read at the documented offsets', async () => {
    const src = fixture('models/stories260K.bin');
    expect(await readLlama2cHeader(src)).toEqual({ dim: 64, hidden: 172, layers: 5, heads: 8, kvHeads: 4, vocab: 512, seqLen: 512, shared: true });
    const m = await loadLlama2c(src, fixture('models/tok512.bin'));
    const raw = new Float32Array((await src.read(0, src.size)).slice().buffer);
    const at = (byteOffset: number, n: number) => raw.slice(byteOffset / 4, byteOffset / 4 + n);
    // tok_embeddings right after the 28-byte header (floats 7..), then rms_att [5, 64], then wq [5, 64, 64].
    expect(bitEqual(await m.weights.get('model.embed_tokens.weight'), at(28, 512 * 64))).toBe(true);
    const wq1 = 28 + 4 * (512 * 64 + 5 * 64 + 64 * 64);
    expect(await m.weights.get('model.layers.1.self_attn.q_proj.weight')).toEqual(at(wq1, 64 * 64));
    expect(bitEqual(await m.weights.get('lm_head.weight'), at(28, 512 * 64))).toBe(true);
    expect(m.weights.config).toMatchObject({ ropeStyle: 'interleaved', tiedEmbeddings: true, maxPositions: 512, kvHeads: 4 });
    expect(m.tokenizer.vocabSize).toBe(512);
  });
});

describe('llama2.c layouts', () => {
  test('negative vocab: untied classifier after the RoPE tables; w1/w2/w3 are gate/down/up', async () => {
    // dim 4, hidden 6, 1 layer, 2 heads, 1 kv head (head 2), vocab 3 untied, seq 2.
    const m = await loadLlama2c(bytesSource('u.bin', syntheticModel([4, 6, 1, 2, 1, -3, 2])), await tinyTokenizer());
    expect(m.weights.config.tiedEmbeddings).toBe(false);
    // Float offsets: embed 0..11, rms_att 12..15, wq 16..31, wk 32..39, wv 40..47, wo 48..63,
    // rms_ffn 64..67, w1 68..91, w2 92..115, w3 116..139, rms_final 140..143, freq 144..145 and 146..147, wcls 148..159.
    const first = async (n: string) => (await m.weights.get(n))[0];
    expect(await first('model.layers.0.self_attn.k_proj.weight')).toBe(32);
    expect(m.weights.shapes.get('model.layers.0.self_attn.k_proj.weight')).toEqual([2, 4]);
    expect(await first('model.layers.0.mlp.gate_proj.weight')).toBe(68);
    expect(await first('model.layers.0.mlp.down_proj.weight')).toBe(92);
    expect(m.weights.shapes.get('model.layers.0.mlp.down_proj.weight')).toEqual([4, 6]);
    expect(await first('model.layers.0.mlp.up_proj.weight')).toBe(116);
    expect(await first('model.norm.weight')).toBe(140);
    expect([...(await m.weights.get('lm_head.weight'))]).toEqual(Array.from({ length: 12 }, (_, i) => 148 + i));
  });
});

async function tinyTokenizer() {
  // max_len 4, then 3 tokens: <unk>, <s>, </s>.
  const parts: number[] = [];
  const push32 = (v: number, f = false) => parts.push(...new Uint8Array(f ? new Float32Array([v]).buffer : new Int32Array([v]).buffer));
  push32(5);
  for (const t of ['<unk>', '<s>', '</s>']) {
    push32(0, true);
    push32(t.length);
    parts.push(...new TextEncoder().encode(t));
  }
  return bytesSource('tiny-tok.bin', new Uint8Array(parts));
}

describe('llama2.c bad input gives a clear error', async () => {
  const real = new Uint8Array(await fixture('models/stories260K.bin').read(0, 1056540));
  const tok = fixture('models/tok512.bin');

  test('truncated model', async () => {
    const e = await errorOf(loadLlama2c(bytesSource('stories260K.bin', real.subarray(0, 500000)), tok));
    expect(e.message).toMatch(/stories260K\.bin: is 500000 bytes but its header .* needs 1056540\. The file is truncated/);
  });

  test('a header with fewer layers than the file holds (arrays would be read from the wrong place)', async () => {
    const bad = real.slice();
    bad.set(header([64, 172, 4, 8, 4, 512, 512]));
    expect((await errorOf(loadLlama2c(bytesSource('m.bin', bad), tok))).message).toMatch(
      /m\.bin: is 1056540 bytes, \d+ more than a llama2\.c model with its header \(dim 64, 4 layers, vocab 512, seq 512\)/,
    );
  });

  test('shorter than the header', async () => {
    expect((await errorOf(loadLlama2c(bytesSource('x.bin', real.subarray(0, 10)), tok))).message).toMatch(/too short for a llama2\.c header/);
  });

  test('absurd header values', async () => {
    const bad = real.slice();
    bad.set(header([64, 172, 1 << 30, 8, 4, 512, 512]));
    expect((await errorOf(loadLlama2c(bytesSource('x.bin', bad), tok))).message).toMatch(/header is implausible \(n_layers\)/);
    bad.set(header([64, 172, 5, 8, 3, 512, 512]));
    expect((await errorOf(loadLlama2c(bytesSource('x.bin', bad), tok))).message).toMatch(/n_kv_heads must divide n_heads/);
  });

  test('a llama2.c v1 export (magic "ak42")', async () => {
    const bad = real.slice();
    bad.set([0x32, 0x34, 0x6b, 0x61]);
    expect((await errorOf(loadLlama2c(bytesSource('v1.bin', bad), tok))).message).toMatch(/version 1\/2 export/);
  });

  test('a truncated or mismatched tokenizer', async () => {
    const t = await tok.read(0, tok.size);
    const e = await errorOf(readLlama2cTokenizer(bytesSource('tok512.bin', t.subarray(0, 3000)), 512));
    expect(e.message).toMatch(/tok512\.bin: ends after \d+ of 512 tokens/);
    expect((await errorOf(readLlama2cTokenizer(tok, 32000))).message).toMatch(/ends after 512 of 32000 tokens .* belongs to another model/);
    const bad = t.slice();
    new DataView(bad.buffer).setInt32(8, 1 << 20, true); // token 0 length
    expect((await errorOf(readLlama2cTokenizer(bytesSource('tok512.bin', bad), 512))).message).toMatch(/token 0 has length 1048576/);
  });
});

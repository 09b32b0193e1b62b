import { describe, expect, test } from 'vitest';
import { bytesSource, type ByteSource } from './byte-source';
import { floatToHalf, halfToFloat } from './dtype';
import { FormatError } from './errors';
import { expectedShapes, parseHfConfig } from './hf-config';
import { loadHfFolder } from './hf-folder';
import { readSafetensorsHeader, readSafetensorsTensor } from './safetensors';
import { hfFolderSources } from './testing/fixtures';

type Header = Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;

/** A safetensors file from a header object and raw data (no validation: for crafting bad files). */
function rawSafetensors(header: Header, data: Uint8Array, headerLenOverride?: number): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLenOverride ?? h.byteLength), true);
  out.set(h, 8);
  out.set(data, 8 + h.byteLength);
  return out;
}

const f32le = (vals: number[]) => new Uint8Array(new Float32Array(vals).buffer);

function u16le(vals: number[]): Uint8Array {
  const b = new Uint8Array(vals.length * 2);
  vals.forEach((v, i) => new DataView(b.buffer).setUint16(2 * i, v, true));
  return b;
}

async function expectFormatError(p: Promise<unknown>, ...parts: (string | RegExp)[]): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected a FormatError').toBeInstanceOf(FormatError);
  const msg = (e as Error).message;
  for (const part of parts) expect(msg).toMatch(part);
  return msg;
}

/** The entries' bytes packed end to end in offset order, with the offsets rewritten (a well-formed file). */
function repack(h: Header, data: Uint8Array): { h: Header; data: Uint8Array } {
  const entries = Object.entries(h).filter(([n]) => n !== '__metadata__') as [string, { dtype: string; shape: number[]; data_offsets: [number, number] }][];
  entries.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  const out = new Uint8Array(entries.reduce((a, [, t]) => a + t.data_offsets[1] - t.data_offsets[0], 0));
  let off = 0;
  for (const [, t] of entries) {
    const [a, b] = t.data_offsets;
    out.set(data.subarray(a, b), off);
    t.data_offsets = [off, off + b - a];
    off += b - a;
  }
  return { h, data: out };
}

/** A file whose JSON is padded with spaces to 8 bytes, as Hugging Face writes it, with the length field `delta` off. */
function paddedSafetensors(header: Header, data: Uint8Array, delta: number, lengthExcludesPadding = false): Uint8Array {
  let json = JSON.stringify(header);
  const unpadded = json.length;
  while (json.length % 8 !== 0 || json.length === unpadded) json += ' ';
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt((lengthExcludesPadding ? unpadded : h.byteLength) + delta), true);
  out.set(h, 8);
  out.set(data, 8 + h.byteLength);
  return out;
}

/** The stories260K HF folder with model.safetensors and config.json replaced. */
async function storiesFolder(edit: {
  header?: (h: Header, data: Uint8Array) => { h: Header; data: Uint8Array };
  config?: (c: Record<string, unknown>) => void;
  raw?: (file: Uint8Array) => Uint8Array;
}): Promise<ByteSource[]> {
  const srcs = hfFolderSources();
  return Promise.all(
    srcs.map(async (s) => {
      const bytes = new Uint8Array(await s.read(0, s.size));
      if (s.name === 'model.safetensors') {
        let out: Uint8Array = bytes;
        if (edit.header) {
          const len = Number(new DataView(bytes.buffer).getBigUint64(0, true));
          const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
          const r = edit.header(header, bytes.subarray(8 + len));
          out = rawSafetensors(r.h, r.data);
        }
        if (edit.raw) out = edit.raw(out);
        return bytesSource(s.name, out);
      }
      if (s.name === 'config.json' && edit.config) {
        const c = JSON.parse(new TextDecoder().decode(bytes));
        edit.config(c);
        return bytesSource(s.name, new TextEncoder().encode(JSON.stringify(c)));
      }
      return s;
    }),
  );
}

describe('safetensors dtypes', () => {
  test('F16 and BF16 decode to the hand-computed values', async () => {
    const f16 = u16le([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00, 0x8000]);
    const bf16 = u16le([0x3f80, 0xc040, 0x3eab, 0x0000]);
    const f32 = new Uint8Array(new Float32Array([1.5, -0.25]).buffer);
    const file = rawSafetensors(
      {
        a: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 12] },
        b: { dtype: 'BF16', shape: [4], data_offsets: [12, 20] },
        c: { dtype: 'F32', shape: [2], data_offsets: [20, 28] },
      },
      new Uint8Array([...f16, ...bf16, ...f32]),
    );
    const st = await readSafetensorsHeader(bytesSource('t.safetensors', file));
    expect([...(await readSafetensorsTensor(st, 'a'))]).toEqual([1, -2, 0.333251953125, 2 ** -24, Infinity, -0]);
    expect([...(await readSafetensorsTensor(st, 'b'))]).toEqual([1, -3, 0.333984375, 0]);
    expect([...(await readSafetensorsTensor(st, 'c'))]).toEqual([1.5, -0.25]);
    expect(st.tensors.get('a')!.shape).toEqual([2, 3]);
  });

  test('floatToHalf rounds to nearest even and round-trips every finite half', () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00); // rounds up to infinity
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    for (let h = 0; h < 0x7c00; h++) expect(floatToHalf(halfToFloat(h))).toBe(h);
  });

  test('an F16 copy of stories260K loads, values within half precision of the F32 ones', async () => {
    const ref = await loadHfFolder(hfFolderSources());
    const srcs = await storiesFolder({
      header: (h, data) => {
        const out: Header = {};
        const parts: Uint8Array[] = [];
        let off = 0;
        for (const [name, info] of Object.entries(h)) {
          if (name === '__metadata__') continue;
          const t = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
          const f = new Float32Array(data.slice(t.data_offsets[0], t.data_offsets[1]).buffer);
          const half = u16le([...f].map(floatToHalf));
          out[name] = { dtype: 'F16', shape: t.shape, data_offsets: [off, off + half.byteLength] };
          parts.push(half);
          off += half.byteLength;
        }
        const all = new Uint8Array(off);
        let p = 0;
        for (const x of parts) {
          all.set(x, p);
          p += x.byteLength;
        }
        return { h: out, data: all };
      },
    });
    const m = await loadHfFolder(srcs);
    for (const name of ['model.embed_tokens.weight', 'model.layers.4.mlp.down_proj.weight', 'model.norm.weight']) {
      const a = await ref.weights.get(name);
      const b = await m.weights.get(name);
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(Math.abs(a[i]) * 2 ** -11 + 2 ** -25);
    }
  });
});

describe('safetensors and HF folder: bad input gives a clear error', () => {
  test('a truncated file', async () => {
    const srcs = await storiesFolder({ raw: (b) => b.subarray(0, b.byteLength - 1000) });
    await expectFormatError(loadHfFolder(srcs), 'model.safetensors', /past the end of the data/, /download it again/);
  });

  test('a file shorter than 8 bytes', async () => {
    await expectFormatError(readSafetensorsHeader(bytesSource('x.safetensors', new Uint8Array(5))), 'x.safetensors', /too short/);
  });

  test('a header length larger than the file', async () => {
    const f = rawSafetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4), 5000);
    await expectFormatError(readSafetensorsHeader(bytesSource('big.safetensors', f)), 'big.safetensors', /5000-byte JSON header/, /only \d+ bytes/);
  });

  test('an absurd header length (over 100 MB)', async () => {
    const f = rawSafetensors({}, new Uint8Array(0), 2 ** 40);
    await expectFormatError(readSafetensorsHeader(bytesSource('h.safetensors', f)), /over the 100000000-byte limit/);
  });

  test('data offsets out of range', async () => {
    const f = rawSafetensors({ w: { dtype: 'F32', shape: [4], data_offsets: [16, 32] } }, new Uint8Array(20));
    await expectFormatError(readSafetensorsHeader(bytesSource('o.safetensors', f)), 'o.safetensors', 'tensor "w"', /past the end of the data \(20 bytes/);
  });

  test('data offsets that disagree with the shape', async () => {
    const f = rawSafetensors({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 12] } }, new Uint8Array(16));
    await expectFormatError(readSafetensorsHeader(bytesSource('o.safetensors', f)), 'tensor "w"', /spanning 12 bytes/, /needs 16/);
  });

  // Offsets must tile the data exactly, as Hugging Face's own reader demands: anything else reads
  // another tensor's bytes (or bytes of none) as weights.
  const two = {
    a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] as [number, number] },
    b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] as [number, number] },
  };
  test('the well-formed two-tensor file reads (control for the faults below)', async () => {
    const st = await readSafetensorsHeader(bytesSource('t.safetensors', paddedSafetensors(two, f32le([1, 2, 3, 4]), 0)));
    expect([...(await readSafetensorsTensor(st, 'b'))]).toEqual([3, 4]);
  });

  test('overlapping offsets are refused, naming both tensors', async () => {
    const f = rawSafetensors({ a: two.a, b: { ...two.b, data_offsets: [4, 12] } }, new Uint8Array(16));
    await expectFormatError(
      readSafetensorsHeader(bytesSource('o.safetensors', f)),
      'tensor "b"',
      /bytes 4\.\.12 of the data region, overlapping "a" \(bytes 0\.\.8\)/,
    );
  });

  test('all offsets 0 are refused as overlap', async () => {
    const f = rawSafetensors({ a: two.a, b: { ...two.b, data_offsets: [0, 8] } }, new Uint8Array(16));
    await expectFormatError(readSafetensorsHeader(bytesSource('z.safetensors', f)), /overlapping/);
  });

  test('a gap between tensors is refused', async () => {
    const f = rawSafetensors({ a: two.a, b: { ...two.b, data_offsets: [12, 20] } }, new Uint8Array(20));
    await expectFormatError(
      readSafetensorsHeader(bytesSource('g.safetensors', f)),
      'tensor "b"',
      /starts at byte 12 of the data region but "a" ends at byte 8: 4 bytes belong to no tensor/,
    );
  });

  test('bytes after the last tensor are refused (the data region is longer than its tensors)', async () => {
    const f = rawSafetensors(two, new Uint8Array(24));
    await expectFormatError(
      readSafetensorsHeader(bytesSource('t.safetensors', f)),
      /24-byte data region but its tensors cover only 16 bytes: 8 bytes belong to no tensor/,
    );
  });

  test('a header length 1 byte short, or excluding its padding, is refused', async () => {
    await expectFormatError(
      readSafetensorsHeader(bytesSource('s.safetensors', paddedSafetensors(two, new Uint8Array(16), -1))),
      /17-byte data region but its tensors cover only 16 bytes/,
      /header length that is too short/,
    );
    await expectFormatError(
      readSafetensorsHeader(bytesSource('p.safetensors', paddedSafetensors(two, new Uint8Array(16), 0, true))),
      /its tensors cover only 16 bytes/,
    );
    // 1 byte long: the first data byte is read as JSON (a NUL after the padding).
    await expectFormatError(readSafetensorsHeader(bytesSource('l.safetensors', paddedSafetensors(two, new Uint8Array(16), 1))), /not valid JSON/);
  });

  test('a duplicate key is reported as a duplicate, even with the same shape', async () => {
    const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const h = new TextEncoder().encode(json);
    const f = new Uint8Array(8 + h.byteLength + 8);
    new DataView(f.buffer).setBigUint64(0, BigInt(h.byteLength), true);
    f.set(h, 8);
    await expectFormatError(readSafetensorsHeader(bytesSource('d.safetensors', f)), 'tensor "a"', /is listed twice in the header/);
  });

  test('a dtype covering half its span is refused', async () => {
    const f = rawSafetensors({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8));
    await expectFormatError(readSafetensorsHeader(bytesSource('h.safetensors', f)), 'tensor "a"', /spanning 8 bytes but shape \[2\] of F16 needs 4/);
  });

  test('NaN and Inf weights are refused when the tensor is read, naming it and counting them', async () => {
    const name = 'model.layers.2.mlp.up_proj.weight';
    const srcs = await storiesFolder({
      header: (h, data) => {
        const [a] = (h[name] as { data_offsets: [number, number] }).data_offsets;
        const copy = data.slice();
        const f = new Float32Array(copy.buffer, a, 8);
        f[3] = NaN;
        f[5] = Infinity;
        f[6] = -Infinity;
        return { h, data: copy };
      },
    });
    const m = await loadHfFolder(srcs);
    await expect(m.weights.get('model.layers.2.mlp.down_proj.weight')).resolves.toBeTruthy();
    await expectFormatError(m.weights.get(name), `tensor "${name}"`, /has 3 non-finite values \(1 NaN, 2 infinite\) of 11008, the first at index 3/);
  });

  test('an unknown dtype', async () => {
    const f = rawSafetensors({ q: { dtype: 'I8', shape: [4], data_offsets: [0, 4] } }, new Uint8Array(4));
    await expectFormatError(readSafetensorsHeader(bytesSource('q.safetensors', f)), 'tensor "q"', /dtype "I8"/, /F32, F16 and BF16/);
  });

  test('a header that is not JSON', async () => {
    const h = new TextEncoder().encode('{"a": [1, 2');
    const f = new Uint8Array(8 + h.byteLength);
    new DataView(f.buffer).setBigUint64(0, BigInt(h.byteLength), true);
    f.set(h, 8);
    await expectFormatError(readSafetensorsHeader(bytesSource('j.safetensors', f)), 'j.safetensors', /not valid JSON/);
  });

  test('a missing tensor', async () => {
    const srcs = await storiesFolder({
      header: (h, data) => {
        delete h['model.layers.3.mlp.up_proj.weight'];
        return repack(h, data);
      },
    });
    await expectFormatError(loadHfFolder(srcs), 'model.layers.3.mlp.up_proj.weight', /missing/);
  });

  test('lm_head missing while tie_word_embeddings is false', async () => {
    const srcs = await storiesFolder({ config: (c) => (c.tie_word_embeddings = false) });
    await expectFormatError(loadHfFolder(srcs), /lm_head\.weight/, /tie_word_embeddings is false/);
  });

  test('shapes that disagree with config.json', async () => {
    const srcs = await storiesFolder({ config: (c) => (c.intermediate_size = 176) });
    await expectFormatError(loadHfFolder(srcs), 'model.layers.0.mlp.gate_proj.weight', /has shape \[172, 64\] but config\.json implies \[176, 64\]/);
  });

  test('config.json that is not JSON', async () => {
    const srcs = hfFolderSources().map((s) => (s.name === 'config.json' ? bytesSource('config.json', new TextEncoder().encode('{ "hidden_size": 64,')) : s));
    await expectFormatError(loadHfFolder(srcs), 'config.json', /not valid JSON/);
  });

  test('an unsupported architecture lists the supported ones', async () => {
    const srcs = await storiesFolder({ config: (c) => (c.architectures = ['GPT2LMHeadModel']) });
    await expectFormatError(
      loadHfFolder(srcs),
      'config.json',
      /GPT2LMHeadModel/,
      /LlamaForCausalLM/,
      /Qwen2ForCausalLM/,
      /OPTForCausalLM/,
      /MistralForCausalLM/,
    );
  });

  test('a missing config.json / tokenizer.json / weights', async () => {
    const without = (n: string) => hfFolderSources().filter((s) => s.name !== n);
    await expectFormatError(loadHfFolder(without('config.json')), 'config.json', /missing/);
    await expectFormatError(loadHfFolder(without('tokenizer.json')), 'tokenizer.json', /missing/);
    await expectFormatError(loadHfFolder(without('model.safetensors')), 'model.safetensors', /missing/, /not pytorch_model\.bin/);
  });
});

describe('config.json mapping', () => {
  const llama = {
    architectures: ['LlamaForCausalLM'],
    hidden_size: 64,
    intermediate_size: 172,
    num_hidden_layers: 2,
    num_attention_heads: 8,
    num_key_value_heads: 4,
    vocab_size: 100,
    max_position_embeddings: 128,
    rms_norm_eps: 1e-5,
  };

  test('Qwen2 gets q/k/v biases; LLaMA/Mistral do not; HF weights use the half-split rotary layout', () => {
    const q = parseHfConfig({ ...llama, architectures: ['Qwen2ForCausalLM'], rope_theta: 1e6, tie_word_embeddings: true });
    expect(q).toMatchObject({
      arch: 'llama',
      qkvBias: true,
      outBias: false,
      mlpBias: false,
      ropeTheta: 1e6,
      ropeStyle: 'half',
      tiedEmbeddings: true,
      headDim: 8,
      kvHeads: 4,
    });
    expect(parseHfConfig({ ...llama, architectures: ['MistralForCausalLM'] })).toMatchObject({ qkvBias: false, ropeTheta: 10000, tiedEmbeddings: false });
    expect(parseHfConfig({ ...llama, architectures: undefined, model_type: 'llama' }).sourceArchitecture).toBe('LlamaForCausalLM');
  });

  const opt = {
    architectures: ['OPTForCausalLM'],
    hidden_size: 768,
    ffn_dim: 3072,
    num_hidden_layers: 12,
    num_attention_heads: 12,
    vocab_size: 50272,
    max_position_embeddings: 2048,
    do_layer_norm_before: true,
    word_embed_proj_dim: 768,
    activation_function: 'relu',
    bos_token_id: 2,
    eos_token_id: 2,
  };

  test('OPT: LayerNorm model with biases, ReLU, learned positions at offset 2, tied head', () => {
    expect(parseHfConfig(opt)).toMatchObject({
      arch: 'opt',
      activation: 'relu',
      qkvBias: true,
      outBias: true,
      mlpBias: true,
      positionOffset: 2,
      tiedEmbeddings: true,
      headDim: 64,
      kvHeads: 12,
      intermediate: 3072,
    });
  });

  test("opt-350m's kind (post-norm, a narrower embedding) is read; OPT variants this engine cannot run are refused", () => {
    const c = parseHfConfig({ ...opt, do_layer_norm_before: false, word_embed_proj_dim: 512 });
    expect([c.postNorm, c.embedDim]).toEqual([true, 512]);
    const shapes = expectedShapes(c);
    expect([shapes.get('model.decoder.project_in.weight'), shapes.get('model.decoder.project_out.weight'), shapes.get('lm_head.weight')]).toEqual([
      [768, 512],
      [512, 768],
      [c.vocab, 512],
    ]);
    expect(shapes.has('model.decoder.final_layer_norm.weight')).toBe(false);
    const pre = parseHfConfig(opt);
    expect([pre.postNorm, pre.embedDim, expectedShapes(pre).has('model.decoder.final_layer_norm.weight')]).toEqual([undefined, undefined, true]);
    expect(() => parseHfConfig({ ...opt, do_layer_norm_before: 'no' })).toThrow(/do_layer_norm_before" is "no", expected true or false/);
    // pre-4.20 fine-tunes: pre-norm without the final norm, which expectedShapes then leaves out
    const noFinal = parseHfConfig({ ...opt, _remove_final_layer_norm: true });
    expect([noFinal.noFinalNorm, expectedShapes(noFinal).has('model.decoder.final_layer_norm.weight')]).toEqual([true, false]);
    expect(() => parseHfConfig({ ...opt, activation_function: 'gelu' })).toThrow(/activation_function="gelu"/);
  });

  test('tie_word_embeddings that is not a boolean, and an infinite epsilon, are named as they are', () => {
    expect(() => parseHfConfig({ ...llama, tie_word_embeddings: 'yes' })).toThrow(/field "tie_word_embeddings" is "yes", expected true or false/);
    expect(() => parseHfConfig({ ...opt, tie_word_embeddings: 1 })).toThrow(/field "tie_word_embeddings" is 1, expected true or false/);
    expect(parseHfConfig({ ...llama, tie_word_embeddings: null }).tiedEmbeddings).toBe(false);
    expect(() => parseHfConfig(JSON.parse(JSON.stringify(llama).replace('}', ',"rms_norm_eps":1e999}')))).toThrow(
      /field "rms_norm_eps" is Infinity, expected a positive number/,
    );
  });

  test('unsupported LLaMA options and bad numbers are refused', () => {
    expect(() => parseHfConfig({ ...llama, rope_scaling: { rope_type: 'ntk-by-parts', factor: 8 } })).toThrow(/rope_scaling "ntk-by-parts"/);
    expect(() => parseHfConfig({ ...llama, rope_scaling: { rope_type: 'llama3', factor: 8 } })).toThrow(/rope_scaling.low_freq_factor is undefined/);
    expect(() => parseHfConfig({ ...llama, hidden_act: 'gelu' })).toThrow(/hidden_act="gelu"/);
    expect(() => parseHfConfig({ ...llama, num_key_value_heads: 3 })).toThrow(/not a multiple of num_key_value_heads 3/);
    expect(() => parseHfConfig({ ...llama, hidden_size: -4 })).toThrow(/"hidden_size" is -4, expected a positive integer/);
    expect(() => parseHfConfig([1, 2])).toThrow(FormatError);
  });
});

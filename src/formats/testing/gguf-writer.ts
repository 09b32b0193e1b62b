// A small GGUF writer for tests: builds files with chosen metadata, tensor types and defects.
import { GgufValueType } from '../gguf';

export type KvValue =
  | { type: 'u32' | 'i32' | 'f32' | 'u64'; value: number }
  | { type: 'string'; value: string }
  | { type: 'bool'; value: boolean }
  | { type: 'string[]'; value: string[] }
  | { type: 'f32[]' | 'i32[]'; value: number[] };

export interface GgufTensorSpec {
  name: string;
  ne: number[];
  type: number;
  data: Uint8Array;
}

class Bytes {
  parts: number[] = [];
  u8(v: number) {
    this.parts.push(v & 0xff);
  }
  u32(v: number) {
    for (let i = 0; i < 4; i++) this.u8(v >>> (8 * i));
  }
  i32(v: number) {
    this.u32(v >>> 0);
  }
  u64(v: bigint | number) {
    let b = BigInt(v);
    for (let i = 0; i < 8; i++) {
      this.u8(Number(b & 0xffn));
      b >>= 8n;
    }
  }
  f32(v: number) {
    const a = new Uint8Array(new Float32Array([v]).buffer);
    a.forEach((x) => this.u8(x));
  }
  str(s: string) {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    b.forEach((x) => this.u8(x));
  }
  raw(b: Uint8Array) {
    b.forEach((x) => this.u8(x));
  }
}

export function writeGguf(opts: {
  kv: Record<string, KvValue>;
  tensors: GgufTensorSpec[];
  version?: number;
  alignment?: number;
  tensorCountOverride?: bigint;
  /** Offsets written into the tensor infos instead of the real ones (for overlap/gap defects). */
  offsetsOverride?: number[];
}): Uint8Array {
  const w = new Bytes();
  w.raw(new TextEncoder().encode('GGUF'));
  w.u32(opts.version ?? 3);
  w.u64(opts.tensorCountOverride ?? BigInt(opts.tensors.length));
  const kvs = Object.entries(opts.kv);
  w.u64(kvs.length);
  const T = GgufValueType;
  for (const [key, v] of kvs) {
    w.str(key);
    switch (v.type) {
      case 'u32':
        w.u32(T.UINT32);
        w.u32(v.value);
        break;
      case 'i32':
        w.u32(T.INT32);
        w.i32(v.value);
        break;
      case 'f32':
        w.u32(T.FLOAT32);
        w.f32(v.value);
        break;
      case 'u64':
        w.u32(T.UINT64);
        w.u64(v.value);
        break;
      case 'bool':
        w.u32(T.BOOL);
        w.u8(v.value ? 1 : 0);
        break;
      case 'string':
        w.u32(T.STRING);
        w.str(v.value);
        break;
      case 'string[]':
        w.u32(T.ARRAY);
        w.u32(T.STRING);
        w.u64(v.value.length);
        v.value.forEach((s) => w.str(s));
        break;
      case 'f32[]':
        w.u32(T.ARRAY);
        w.u32(T.FLOAT32);
        w.u64(v.value.length);
        v.value.forEach((x) => w.f32(x));
        break;
      case 'i32[]':
        w.u32(T.ARRAY);
        w.u32(T.INT32);
        w.u64(v.value.length);
        v.value.forEach((x) => w.i32(x));
        break;
    }
  }
  const align = opts.alignment ?? 32;
  let off = 0;
  const offsets: number[] = [];
  for (const t of opts.tensors) {
    offsets.push(off);
    off = Math.ceil((off + t.data.byteLength) / align) * align;
  }
  opts.tensors.forEach((t, i) => {
    w.str(t.name);
    w.u32(t.ne.length);
    t.ne.forEach((d) => w.u64(d));
    w.u32(t.type);
    w.u64(opts.offsetsOverride?.[i] ?? offsets[i]);
  });
  while (w.parts.length % align) w.u8(0);
  const dataStart = w.parts.length;
  const out = new Uint8Array(dataStart + off);
  out.set(w.parts);
  opts.tensors.forEach((t, i) => out.set(t.data, dataStart + offsets[i]));
  return out;
}

/** Tiny LLaMA GGUF metadata for `writeGguf` (hidden 4, 1 layer, 2 heads, vocab of 4 pieces). */
export function tinyLlamaKv(over: Record<string, KvValue> = {}): Record<string, KvValue> {
  return {
    'general.architecture': { type: 'string', value: 'llama' },
    'llama.embedding_length': { type: 'u32', value: 4 },
    'llama.feed_forward_length': { type: 'u32', value: 32 },
    'llama.block_count': { type: 'u32', value: 1 },
    'llama.attention.head_count': { type: 'u32', value: 2 },
    'llama.attention.layer_norm_rms_epsilon': { type: 'f32', value: 1e-5 },
    'llama.context_length': { type: 'u32', value: 16 },
    'tokenizer.ggml.model': { type: 'string', value: 'llama' },
    'tokenizer.ggml.tokens': { type: 'string[]', value: ['<unk>', '\u2581', 'a', '\u2581a'] },
    'tokenizer.ggml.scores': { type: 'f32[]', value: [0, -2, -3, -1] },
    'tokenizer.ggml.token_type': { type: 'i32[]', value: [2, 1, 1, 1] },
    ...over,
  };
}

// Seeded mutations of model files for the hostile-file fuzz test: the positions of every length,
// count, type and offset field of a GGUF header and a llama2.c tokenizer, and the edits applied to
// them (special values, byte flips, truncation). Each case is reproducible from its seed.
import { mulberry32 } from '../../reference/rng';

export class FuzzRng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** A little-endian integer field inside a file. */
export interface Field {
  pos: number;
  width: 4 | 8;
  role: string;
  /** The GGUF metadata key or tensor name the field belongs to. */
  owner?: string;
}

/** The values hostile files put in length/count/offset fields; `orig` is the field's real value. */
export function specialValues(orig: bigint, width: 4 | 8, fileSize: number): bigint[] {
  const bitsMax = (1n << BigInt(8 * width)) - 1n;
  const v = [
    0n,
    1n,
    2n,
    3n,
    7n,
    orig - 1n,
    orig + 1n,
    orig * 2n,
    orig / 2n,
    orig + 32n,
    orig - 32n,
    bitsMax, // -1 as signed
    bitsMax >> 1n, // max signed
    1n << BigInt(8 * width - 1), // min signed (negative)
    0xffff_fffen,
    1n << 31n,
    1n << 32n,
    (1n << 32n) + 1n,
    1n << 40n,
    1n << 53n,
    (1n << 53n) + 1n,
    1n << 62n,
    1n << 63n,
    BigInt(fileSize),
    BigInt(fileSize) + 1n,
    BigInt(fileSize) - 1n,
    BigInt(fileSize) * 4n,
  ];
  return v.map((x) => ((x % (bitsMax + 1n)) + bitsMax + 1n) % (bitsMax + 1n));
}

export function readField(bytes: Uint8Array, f: Field): bigint {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return f.width === 8 ? dv.getBigUint64(f.pos, true) : BigInt(dv.getUint32(f.pos, true));
}

export function writeField(bytes: Uint8Array, f: Field, value: bigint): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (f.width === 8) dv.setBigUint64(f.pos, BigInt.asUintN(64, value), true);
  else dv.setUint32(f.pos, Number(BigInt.asUintN(32, value)), true);
}

/** Sets one field (chosen role first, so the hundreds of string lengths do not drown the rest). */
export function mutateField(rng: FuzzRng, bytes: Uint8Array, fields: Field[]): string {
  const roles = [...new Set(fields.map((f) => f.role))];
  const role = rng.pick(roles);
  const f = rng.pick(fields.filter((x) => x.role === role));
  const orig = readField(bytes, f);
  const value = rng.chance(0.85)
    ? rng.pick(specialValues(orig, f.width, bytes.byteLength))
    : BigInt(rng.int(2 ** 32)) * (f.width === 8 && rng.chance(0.5) ? BigInt(rng.int(2 ** 32)) : 1n);
  writeField(bytes, f, value);
  return `${role}@${f.pos}: ${orig} -> ${BigInt.asUintN(8 * f.width, value)}`;
}

/** XORs 1..8 bytes in [start, end) with random non-zero values. */
export function flipBytes(rng: FuzzRng, bytes: Uint8Array, start: number, end: number): string {
  const n = 1 + rng.int(8);
  const at: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = start + rng.int(end - start);
    bytes[p] ^= 1 + rng.int(255);
    at.push(p);
  }
  return `flip bytes ${at.join(',')}`;
}

/** A cut point, mostly inside the header (where parsers go wrong), sometimes anywhere. */
export function cutPoint(rng: FuzzRng, size: number, headerEnd: number): number {
  return rng.chance(0.7) ? rng.int(Math.min(size, headerEnd + 64)) : rng.int(size);
}

// ---- GGUF header layout ----

const GGUF_SCALAR_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** Every length/count/type/dim/offset field of a valid GGUF header, and where the header ends. */
export function ggufFields(bytes: Uint8Array): { fields: Field[]; headerEnd: number } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: Field[] = [];
  let p = 0;
  let owner: string | undefined;
  const field = (width: 4 | 8, role: string): number => {
    fields.push({ pos: p, width, role, owner });
    const v = width === 8 ? Number(dv.getBigUint64(p, true)) : dv.getUint32(p, true);
    p += width;
    return v;
  };
  const str = (role: string) => {
    const n = field(8, role); // (not `p += field()`: that would add to the old p)
    p += n;
  };
  field(4, 'magic');
  field(4, 'version');
  const nTensors = field(8, 'tensor count');
  const nKv = field(8, 'kv count');
  const text = (at: number, n: number) => new TextDecoder().decode(bytes.subarray(at, at + n));
  for (let i = 0; i < nKv; i++) {
    owner = text(p + 8, Number(dv.getBigUint64(p, true)));
    str('key length');
    const type = field(4, 'value type');
    if (type === 8) str('string length');
    else if (type === 9) {
      const item = field(4, 'array item type');
      const n = field(8, 'array length');
      for (let k = 0; k < n; k++) {
        if (item === 8) str('array string length');
        else if (GGUF_SCALAR_BYTES[item]) p += GGUF_SCALAR_BYTES[item];
        else throw new Error(`GGUF array item type ${item} at ${p}`);
      }
    } else if (GGUF_SCALAR_BYTES[type] === 4) field(4, 'scalar u32/i32/f32 value');
    else if (GGUF_SCALAR_BYTES[type] === 8) field(8, 'scalar 64-bit value');
    else if (GGUF_SCALAR_BYTES[type]) p += GGUF_SCALAR_BYTES[type];
    else throw new Error(`GGUF value type ${type} at ${p}`);
  }
  for (let t = 0; t < nTensors; t++) {
    owner = text(p + 8, Number(dv.getBigUint64(p, true)));
    str('tensor name length');
    const dims = field(4, 'tensor n_dims');
    for (let d = 0; d < dims; d++) field(8, 'tensor dim');
    field(4, 'tensor type');
    field(8, 'tensor offset');
  }
  return { fields, headerEnd: p };
}

// ---- llama2.c ----

/** The 7 int32 header fields of a llama2.c checkpoint. */
export const LLAMA2C_FIELDS: Field[] = ['dim', 'hidden_dim', 'n_layers', 'n_heads', 'n_kv_heads', 'vocab_size', 'seq_len'].map((role, i) => ({
  pos: 4 * i,
  width: 4,
  role,
}));

/** max_token_length, then each token's score and length fields of a llama2.c tokenizer.bin. */
export function llama2cTokenizerFields(bytes: Uint8Array, vocab: number): Field[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: Field[] = [{ pos: 0, width: 4, role: 'max_token_length' }];
  let p = 4;
  for (let i = 0; i < vocab; i++) {
    fields.push({ pos: p, width: 4, role: 'token score' });
    fields.push({ pos: p + 4, width: 4, role: 'token length' });
    p += 8 + dv.getInt32(p + 4, true);
  }
  return fields;
}

// ---- safetensors JSON header ----

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const ODD_VALUES: Json[] = [null, true, 0, -1, 1.5, 1e20, 2 ** 53, 2 ** 53 + 2, -(2 ** 31), '', '4', 'F32', [], {}, [1, 2], { a: 1 }];
const DTYPES: Json[] = ['F32', 'F16', 'BF16', 'F64', 'I8', 'U8', 'I64', 'BOOL', 'F8_E4M3', 'f32', '', 'F32 ', null, 4, ['F32']];

/** One structural edit of a parsed safetensors header (dtype, shape, data_offsets, entry counts). */
export function mutateSafetensorsJson(rng: FuzzRng, header: Record<string, Json>, dataSize: number): string {
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  if (names.length === 0) {
    header.only = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
    return 'add an entry to an empty header';
  }
  const name = rng.pick(names);
  // An earlier edit of this case may have left a non-object, or dropped keys.
  const isObject = (v: Json | undefined): v is { [k: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);
  const prior = header[name];
  const entry = (isObject(prior) ? prior : (header[name] = { dtype: 'F32', shape: [1], data_offsets: [0, 4] })) as {
    dtype: Json;
    shape: Json;
    data_offsets: Json;
  };
  const shape = (Array.isArray(entry.shape) && entry.shape.length ? entry.shape : (entry.shape = [1])) as number[];
  const offs = (Array.isArray(entry.data_offsets) && entry.data_offsets.length === 2 ? entry.data_offsets : (entry.data_offsets = [0, 4])) as number[];
  const kind = rng.int(14);
  switch (kind) {
    case 0:
      entry.dtype = rng.pick(DTYPES);
      return `${name}.dtype = ${JSON.stringify(entry.dtype)}`;
    case 1: {
      const i = rng.int(shape.length);
      shape[i] = rng.chance(0.5) ? (rng.pick(ODD_VALUES) as number) : shape[i] + rng.pick([-1, 1, shape[i], -shape[i]]);
      return `${name}.shape[${i}] = ${JSON.stringify(shape[i])}`;
    }
    case 2:
      entry.shape = rng.pick<Json>([
        [],
        [0],
        [...shape, 1],
        [...shape, 0],
        shape.slice(1),
        [...shape].reverse(),
        [1, 1, 1, 1, 1, 1, 1, 1, 1],
        [2 ** 26, 2 ** 26, 2 ** 26],
        [-1, ...shape],
        rng.pick(ODD_VALUES),
      ]);
      return `${name}.shape = ${JSON.stringify(entry.shape)}`;
    case 3: {
      const i = rng.int(2);
      offs[i] = rng.chance(0.5)
        ? (rng.pick(ODD_VALUES) as number)
        : rng.pick([0, dataSize, dataSize + 4, offs[i] + 4, offs[i] - 4, offs[1 - i], 2 ** 53, -offs[i]]);
      return `${name}.data_offsets[${i}] = ${JSON.stringify(offs[i])}`;
    }
    case 4: {
      const d = rng.pick([4, dataSize, dataSize - offs[1], -offs[0], 2 ** 40]);
      entry.data_offsets = [offs[0] + d, offs[1] + d];
      return `${name}.data_offsets shifted by ${d}`;
    }
    case 5:
      entry.data_offsets = rng.pick<Json>([
        [offs[1], offs[0]],
        [offs[0]],
        [offs[0], offs[1], offs[1]],
        [],
        rng.pick(ODD_VALUES),
        [String(offs[0]), String(offs[1])],
      ]);
      return `${name}.data_offsets = ${JSON.stringify(entry.data_offsets)}`;
    case 6:
      delete header[name];
      return `delete ${name}`;
    case 7: {
      // Two names over the same bytes; also an alias under another tensor's name.
      const other = rng.pick(names);
      header[other === name ? `${name}.copy` : other] = JSON.parse(JSON.stringify(entry));
      return `copy ${name} over ${other}`;
    }
    case 8:
      header[rng.pick(['extra', 'model.layers.99.mlp.up_proj.weight', 'lm_head.weight', '__metadata__', ''])] = rng.pick<Json>([
        { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
        { dtype: 'F32', shape: [2 ** 30], data_offsets: [0, 2 ** 32] },
        rng.pick(ODD_VALUES),
      ]);
      return 'add an entry';
    case 9:
      header[name] = rng.pick(ODD_VALUES);
      return `${name} = ${JSON.stringify(header[name])}`;
    case 10:
      delete (entry as Record<string, Json>)[rng.pick(['dtype', 'shape', 'data_offsets'])];
      return `${name}: drop a key`;
    case 11:
      for (const k of names.slice(0, 1 + rng.int(names.length))) delete header[k];
      return 'drop many entries';
    case 12:
      for (let i = 0; i < 50; i++) header[`pad.${i}`] = { dtype: 'F32', shape: [0], data_offsets: [0, 0] };
      return 'add 50 empty tensors';
    default:
      header.__metadata__ = rng.pick(ODD_VALUES);
      return `__metadata__ = ${JSON.stringify(header.__metadata__)}`;
  }
}

/** One edit of config.json: a size field set to an odd value, or a key removed. */
export function mutateHfConfig(rng: FuzzRng, config: Record<string, Json>): string {
  const key = rng.pick([
    'hidden_size',
    'intermediate_size',
    'num_hidden_layers',
    'num_attention_heads',
    'num_key_value_heads',
    'head_dim',
    'vocab_size',
    'max_position_embeddings',
    'rms_norm_eps',
    'rope_theta',
    'tie_word_embeddings',
    'architectures',
    'bos_token_id',
    'eos_token_id',
    'rope_scaling',
  ]);
  if (rng.chance(0.15)) {
    delete config[key];
    return `config: delete ${key}`;
  }
  const orig = config[key];
  config[key] = rng.pick<Json>([
    ...ODD_VALUES,
    2 ** 30,
    2 ** 30 - 1,
    2 ** 31,
    1e9,
    100_000,
    typeof orig === 'number' ? orig * 2 : 2,
    typeof orig === 'number' ? orig + 1 : 1,
    typeof orig === 'number' ? orig - 1 : 0,
  ]);
  return `config: ${key} = ${JSON.stringify(config[key])}`;
}

export function readSafetensorsJson(bytes: Uint8Array): { header: Record<string, Json>; headerLen: number } {
  const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))), headerLen };
}

/** Rebuilds the file with a new JSON header; `keepLength` keeps the old length field (a lie). */
export function writeSafetensorsJson(orig: Uint8Array, oldHeaderLen: number, header: Record<string, Json>, keepLength: boolean): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const data = orig.subarray(8 + oldHeaderLen);
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(keepLength ? oldHeaderLen : json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

// ---- structural lies: files that parse but whose parts do not agree; each must be refused ----

type StEntry = { dtype: string; shape: number[]; data_offsets: [number, number] };

/** A safetensors file from raw JSON text (padded with spaces to 8 bytes) and data; `lengthDelta` lies about the length. */
export function safetensorsFromText(json: string, data: Uint8Array, lengthDelta = 0): Uint8Array {
  while (json.length % 8 !== 0) json += ' ';
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.byteLength + lengthDelta), true);
  out.set(h, 8);
  out.set(data, 8 + h.byteLength);
  return out;
}

export const SAFETENSORS_LIES = ['overlap', 'gap', 'duplicate key', 'dtype lie', 'header length', 'out-of-range id', 'inconsistent config'] as const;

/**
 * One lie in the HF folder: the safetensors header (overlapping or gapped offsets, a key twice, a
 * dtype smaller than its data, a header length off by 1..7 bytes) or config.json (token ids past
 * the vocabulary, sizes that disagree with the tensors). Returns the edited files.
 */
export function safetensorsLie(
  rng: FuzzRng,
  kind: (typeof SAFETENSORS_LIES)[number],
  model: Uint8Array,
  config: Record<string, Json>,
): { detail: string; model: Uint8Array; config: Record<string, Json> } {
  const { header, headerLen } = readSafetensorsJson(model);
  const data = model.subarray(8 + headerLen);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const byOffset = [...names].sort((a, b) => (header[a] as StEntry).data_offsets[0] - (header[b] as StEntry).data_offsets[0]);
  const entry = (n: string) => header[n] as StEntry;
  const out = (detail: string, h = header, d = data, delta = 0) => ({ detail, model: safetensorsFromText(JSON.stringify(h), d, delta), config });
  switch (kind) {
    case 'overlap': {
      const i = 1 + rng.int(byOffset.length - 1);
      const prev = entry(byOffset[i - 1]);
      const e = entry(byOffset[i]);
      const len = e.data_offsets[1] - e.data_offsets[0];
      const start = prev.data_offsets[0] + 4 * rng.int((prev.data_offsets[1] - prev.data_offsets[0]) / 4);
      e.data_offsets = [start, start + len];
      return out(`${byOffset[i]} moved to ${start}, inside ${byOffset[i - 1]}`);
    }
    case 'gap': {
      const i = rng.int(byOffset.length);
      const d = 4 * (1 + rng.int(16));
      const at = entry(byOffset[i]).data_offsets[0];
      for (const n of byOffset.slice(i)) entry(n).data_offsets = entry(n).data_offsets.map((o) => o + d) as [number, number];
      const grown = new Uint8Array(data.byteLength + d);
      grown.set(data.subarray(0, at));
      grown.set(data.subarray(at), at + d);
      return out(`${d} bytes before ${byOffset[i]}`, header, grown);
    }
    case 'duplicate key': {
      const n = rng.pick(names);
      const json = JSON.stringify(header);
      const same = rng.chance(0.5) ? entry(n) : { ...entry(n), data_offsets: entry(byOffset[byOffset.length - 1]).data_offsets };
      return { detail: `${n} listed twice`, model: safetensorsFromText(`${json.slice(0, -1)},${JSON.stringify(n)}:${JSON.stringify(same)}}`, data), config };
    }
    case 'dtype lie': {
      const n = rng.pick(names);
      const e = entry(n);
      e.dtype = rng.pick(['F16', 'BF16']);
      if (rng.chance(0.5)) {
        e.data_offsets = [e.data_offsets[0], e.data_offsets[0] + (e.data_offsets[1] - e.data_offsets[0]) / 2];
        return out(`${n} declared ${e.dtype} over the first half of its F32 bytes`);
      }
      e.shape = [e.shape[0] * 2, ...e.shape.slice(1)];
      return out(`${n} declared ${e.dtype} with its first dimension doubled (the same bytes)`);
    }
    case 'header length': {
      const delta = rng.pick([-7, -6, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6, 7]);
      return out(`header length ${delta > 0 ? '+' : ''}${delta}`, header, data, delta);
    }
    case 'out-of-range id': {
      const key = rng.pick(['bos_token_id', 'eos_token_id', 'pad_token_id']);
      const vocab = config.vocab_size as number;
      config[key] = rng.chance(0.5) ? vocab + rng.int(100_000) : [2, vocab + rng.int(10)];
      return out(`config ${key} = ${JSON.stringify(config[key])}`);
    }
    case 'inconsistent config': {
      const key = rng.pick(['num_hidden_layers', 'vocab_size', 'intermediate_size', 'hidden_size']);
      const v = config[key] as number;
      config[key] = Math.max(1, v + rng.pick([-2, -1, 1, 2, 8]) * (key === 'hidden_size' ? 8 : 1));
      return out(`config ${key} ${v} -> ${config[key]}`);
    }
  }
}

export const GGUF_LIES = ['overlap', 'gap', 'duplicate name', 'dtype lie', 'out-of-range id', 'inconsistent metadata'] as const;

/** One lie in a GGUF file's header fields (offsets, types, names, ids, counts); may grow the file. */
export function ggufLie(rng: FuzzRng, kind: (typeof GGUF_LIES)[number], orig: Uint8Array): { detail: string; file: Uint8Array } {
  const { fields } = ggufFields(orig);
  const offsets = fields.filter((f) => f.role === 'tensor offset');
  const bytes = orig.slice();
  switch (kind) {
    case 'overlap': {
      const [a, b] = [rng.pick(offsets), rng.pick(offsets)];
      const target = a === b ? readField(bytes, a) + 32n : readField(bytes, b);
      writeField(bytes, a, target);
      return { detail: `${a.owner} at the offset of ${b === a ? 'itself + 32' : b.owner}`, file: bytes };
    }
    case 'gap': {
      const at = readField(bytes, rng.pick(offsets));
      const d = 32n * BigInt(1 + rng.int(4));
      for (const f of offsets) if (readField(bytes, f) >= at) writeField(bytes, f, readField(bytes, f) + d);
      const grown = new Uint8Array(bytes.byteLength + Number(d));
      grown.set(bytes);
      return { detail: `${d} bytes declared before the tensor at ${at}`, file: grown };
    }
    case 'duplicate name': {
      const names = fields.filter((f) => f.role === 'tensor name length');
      const pairs = names.flatMap((a) => names.filter((b) => b !== a && readField(bytes, b) === readField(bytes, a)).map((b) => [a, b] as const));
      const [a, b] = rng.pick(pairs);
      const n = Number(readField(bytes, a));
      bytes.set(orig.subarray(b.pos + 8, b.pos + 8 + n), a.pos + 8);
      return { detail: `${a.owner} renamed ${b.owner}`, file: bytes };
    }
    case 'dtype lie': {
      const types = fields.filter((f) => f.role === 'tensor type' && readField(bytes, f) === 0n);
      const f = rng.pick(types);
      const t = rng.pick([1n, 30n]);
      writeField(bytes, f, t);
      return { detail: `${f.owner} declared ${t === 1n ? 'F16' : 'BF16'} over F32 data`, file: bytes };
    }
    case 'out-of-range id': {
      const ids = fields.filter((f) => /^tokenizer\.ggml\.(bos|eos|unknown)_token_id$/.test(f.owner ?? '') && f.role.startsWith('scalar'));
      const f = rng.pick(ids);
      const v = 512n + BigInt(rng.int(100_000));
      writeField(bytes, f, v);
      return { detail: `${f.owner} = ${v}`, file: bytes };
    }
    case 'inconsistent metadata': {
      const sizes = fields.filter((f) => /^llama\.(block_count|embedding_length|feed_forward_length)$/.test(f.owner ?? '') && f.role.startsWith('scalar'));
      const f = rng.pick(sizes);
      const v = readField(bytes, f) + BigInt(rng.pick([-2, -1, 1, 2, 8]));
      writeField(bytes, f, v > 0n ? v : 1n);
      return { detail: `${f.owner} = ${readField(bytes, f)}`, file: bytes };
    }
  }
}

/**
 * A GGUF whose tokens array declares 2^23..2^26 entries, as a virtual file of 2^31 bytes (the real
 * header, then zeros): it must be refused from what the header declares. `bytesRead` counts reads.
 */
export function giantMetadataSource(
  rng: FuzzRng,
  orig: Uint8Array,
): { detail: string; source: { name: string; size: number; read(o: number, n: number): Promise<Uint8Array> }; bytesRead: () => number } {
  const { fields } = ggufFields(orig);
  const arrays = fields.filter((f) => f.role === 'array length');
  const f = rng.pick(arrays);
  const bytes = orig.slice();
  const n = BigInt((1 << 23) + 1 + rng.int((1 << 26) - (1 << 23)));
  writeField(bytes, f, n);
  let read = 0;
  const source = {
    name: 'giant.gguf',
    size: 2 ** 31,
    async read(offset: number, length: number) {
      read += length;
      const out = new Uint8Array(length);
      if (offset < bytes.byteLength) out.set(bytes.subarray(offset, Math.min(bytes.byteLength, offset + length)));
      return out;
    },
  };
  return { detail: `${f.owner} declares ${n} entries`, source, bytesRead: () => read };
}

export const LLAMA2C_LIES = ['inconsistent header'] as const;

/** A header field changed so that the header no longer describes the arrays that follow. */
export function llama2cLie(rng: FuzzRng, orig: Uint8Array): { detail: string; file: Uint8Array } {
  const bytes = orig.slice();
  const dv = new DataView(bytes.buffer);
  const i = rng.pick([0, 1, 2, 5, 6]);
  const v = dv.getInt32(4 * i, true);
  const d = i === 0 ? rng.pick([-32, -16, 16, 32]) : rng.pick([-2, -1, 1, 2, 64]);
  const nv = i === 5 && rng.chance(0.3) ? -v : Math.max(1, v + d);
  dv.setInt32(4 * i, nv, true);
  return { detail: `${LLAMA2C_FIELDS[i].role} ${v} -> ${nv}`, file: bytes };
}

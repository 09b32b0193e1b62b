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
}

/** The values hostile files put in length/count/offset fields; `orig` is the field's real value. */
export function specialValues(orig: bigint, width: 4 | 8, fileSize: number): bigint[] {
  const bitsMax = (1n << BigInt(8 * width)) - 1n;
  const v = [
    0n, 1n, 2n, 3n, 7n, orig - 1n, orig + 1n, orig * 2n, orig / 2n, orig + 32n, orig - 32n,
    bitsMax, // -1 as signed
    bitsMax >> 1n, // max signed
    1n << BigInt(8 * width - 1), // min signed (negative)
    0xffff_fffen,
    1n << 31n, 1n << 32n, (1n << 32n) + 1n, 1n << 40n, 1n << 53n, (1n << 53n) + 1n, 1n << 62n, 1n << 63n,
    BigInt(fileSize), BigInt(fileSize) + 1n, BigInt(fileSize) - 1n, BigInt(fileSize) * 4n,
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
  const value = rng.chance(0.85) ? rng.pick(specialValues(orig, f.width, bytes.byteLength)) : BigInt(rng.int(2 ** 32)) * (f.width === 8 && rng.chance(0.5) ? BigInt(rng.int(2 ** 32)) : 1n);
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
  const field = (width: 4 | 8, role: string): number => {
    fields.push({ pos: p, width, role });
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
  for (let i = 0; i < nKv; i++) {
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
export const LLAMA2C_FIELDS: Field[] = ['dim', 'hidden_dim', 'n_layers', 'n_heads', 'n_kv_heads', 'vocab_size', 'seq_len'].map((role, i) => ({ pos: 4 * i, width: 4, role }));

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
  const entry = (isObject(prior) ? prior : (header[name] = { dtype: 'F32', shape: [1], data_offsets: [0, 4] })) as { dtype: Json; shape: Json; data_offsets: Json };
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
      entry.shape = rng.pick<Json>([[], [0], [...shape, 1], [...shape, 0], shape.slice(1), [...shape].reverse(), [1, 1, 1, 1, 1, 1, 1, 1, 1], [2 ** 26, 2 ** 26, 2 ** 26], [-1, ...shape], rng.pick(ODD_VALUES)]);
      return `${name}.shape = ${JSON.stringify(entry.shape)}`;
    case 3: {
      const i = rng.int(2);
      offs[i] = rng.chance(0.5) ? (rng.pick(ODD_VALUES) as number) : rng.pick([0, dataSize, dataSize + 4, offs[i] + 4, offs[i] - 4, offs[1 - i], 2 ** 53, -offs[i]]);
      return `${name}.data_offsets[${i}] = ${JSON.stringify(offs[i])}`;
    }
    case 4: {
      const d = rng.pick([4, dataSize, dataSize - offs[1], -offs[0], 2 ** 40]);
      entry.data_offsets = [offs[0] + d, offs[1] + d];
      return `${name}.data_offsets shifted by ${d}`;
    }
    case 5:
      entry.data_offsets = rng.pick<Json>([[offs[1], offs[0]], [offs[0]], [offs[0], offs[1], offs[1]], [], rng.pick(ODD_VALUES), [String(offs[0]), String(offs[1])]]);
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
    'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'head_dim', 'vocab_size',
    'max_position_embeddings', 'rms_norm_eps', 'rope_theta', 'tie_word_embeddings', 'architectures', 'bos_token_id', 'eos_token_id', 'rope_scaling',
  ]);
  if (rng.chance(0.15)) {
    delete config[key];
    return `config: delete ${key}`;
  }
  const orig = config[key];
  config[key] = rng.pick<Json>([...ODD_VALUES, 2 ** 30, 2 ** 30 - 1, 2 ** 31, 1e9, 100_000, typeof orig === 'number' ? orig * 2 : 2, typeof orig === 'number' ? orig + 1 : 1, typeof orig === 'number' ? orig - 1 : 0]);
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

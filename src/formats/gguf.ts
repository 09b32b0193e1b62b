// GGUF v2/v3 reader: metadata key/values and tensor infos from a header read in chunks (so a big
// file is never loaded whole), hostile counts and sizes capped, every offset checked against the
// file size. Tensor data (F32, F16, BF16, Q8_0, Q4_0/1, Q5_0/1, the k-quants Q2_K to Q6_K, IQ4_NL and
// IQ4_XS) is read and converted to f32 on demand.
import { checkRange, type ByteSource } from './byte-source';
import {
  bf16ToF32,
  f16ToF32,
  f32FromBytes,
  Q4_0_BYTES,
  q4_0ToF32,
  Q4_1_BYTES,
  q4_1ToF32,
  Q5_0_BYTES,
  q5_0ToF32,
  Q5_1_BYTES,
  q5_1ToF32,
  Q8_0_BLOCK,
  Q8_0_BYTES,
  q8_0ToF32,
} from './dtype';
import {
  IQ4_NL_BYTES,
  iq4_nlToF32,
  IQ4_XS_BYTES,
  iq4_xsToF32,
  QK_K,
  Q2_K_BYTES,
  q2_KToF32,
  Q3_K_BYTES,
  q3_KToF32,
  Q4_K_BYTES,
  q4_KToF32,
  Q5_K_BYTES,
  q5_KToF32,
  Q6_K_BYTES,
  q6_KToF32,
} from './ggml-kquants';
import { FormatError } from './errors';
import { checkTiling, type Span } from './tiling';

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const MAX_TENSORS = 1 << 16;
export const MAX_KV = 1 << 16;
export const MAX_STRING_BYTES = 1 << 24;
export const MAX_ARRAY_LENGTH = 1 << 26;
/**
 * All metadata together: a real model's vocabulary, scores, token types and merges take a few
 * MB (LLaMA 3: 128k tokens and 280k merges, about 8 MB). Counted from what each value declares,
 * before it is read, so a file of huge arrays is refused without being parsed.
 */
export const MAX_METADATA_BYTES = 64 << 20;
export const MAX_METADATA_VALUES = 1 << 23;
const MAX_DIMS = 4;
const CHUNK = 1 << 20;

export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

export type GgufValue = number | bigint | boolean | string | GgufValue[] | Float32Array | Int32Array | Uint32Array;

export const GGML_TYPE = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  IQ4_NL: 20,
  IQ4_XS: 23,
  BF16: 30,
} as const;

/** The block types this loader reads: values and bytes a block, and the decoder of a run of blocks. */
const GGML_BLOCKS: Record<number, { values: number; bytes: number; decode: (bytes: Uint8Array, count: number) => Float32Array }> = {
  [GGML_TYPE.Q4_0]: { values: 32, bytes: Q4_0_BYTES, decode: q4_0ToF32 },
  [GGML_TYPE.Q4_1]: { values: 32, bytes: Q4_1_BYTES, decode: q4_1ToF32 },
  [GGML_TYPE.Q5_0]: { values: 32, bytes: Q5_0_BYTES, decode: q5_0ToF32 },
  [GGML_TYPE.Q5_1]: { values: 32, bytes: Q5_1_BYTES, decode: q5_1ToF32 },
  [GGML_TYPE.Q8_0]: { values: Q8_0_BLOCK, bytes: Q8_0_BYTES, decode: q8_0ToF32 },
  [GGML_TYPE.Q2_K]: { values: QK_K, bytes: Q2_K_BYTES, decode: q2_KToF32 },
  [GGML_TYPE.Q3_K]: { values: QK_K, bytes: Q3_K_BYTES, decode: q3_KToF32 },
  [GGML_TYPE.Q4_K]: { values: QK_K, bytes: Q4_K_BYTES, decode: q4_KToF32 },
  [GGML_TYPE.Q5_K]: { values: QK_K, bytes: Q5_K_BYTES, decode: q5_KToF32 },
  [GGML_TYPE.Q6_K]: { values: QK_K, bytes: Q6_K_BYTES, decode: q6_KToF32 },
  [GGML_TYPE.IQ4_NL]: { values: 32, bytes: IQ4_NL_BYTES, decode: iq4_nlToF32 },
  [GGML_TYPE.IQ4_XS]: { values: QK_K, bytes: IQ4_XS_BYTES, decode: iq4_xsToF32 },
};

/** Whether tensors of this type are stored in quantized blocks (not F32, F16 or BF16 values). */
export function isBlockType(type: number): boolean {
  return type in GGML_BLOCKS;
}
const GGML_TYPE_NAMES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  6: 'Q5_0',
  7: 'Q5_1',
  8: 'Q8_0',
  9: 'Q8_1',
  10: 'Q2_K',
  11: 'Q3_K',
  12: 'Q4_K',
  13: 'Q5_K',
  14: 'Q6_K',
  15: 'Q8_K',
  16: 'IQ2_XXS',
  17: 'IQ2_XS',
  18: 'IQ3_XXS',
  19: 'IQ1_S',
  20: 'IQ4_NL',
  21: 'IQ3_S',
  22: 'IQ2_S',
  23: 'IQ4_XS',
  24: 'I8',
  25: 'I16',
  26: 'I32',
  27: 'I64',
  28: 'F64',
  29: 'IQ1_M',
  30: 'BF16',
};
export function ggmlTypeName(t: number): string {
  return GGML_TYPE_NAMES[t] ?? `type ${t}`;
}

export interface GgufTensorInfo {
  name: string;
  /** ggml order: ne[0] is the fastest-varying dimension. */
  ne: number[];
  type: number;
  /** Absolute byte offset in the file. */
  offset: number;
  byteLength: number;
}

export interface GgufFile {
  source: ByteSource;
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: Map<string, GgufTensorInfo>;
  alignment: number;
  dataOffset: number;
}

/** Sequential reads over a window that is refilled from the source as the cursor moves. */
class ChunkedReader {
  pos = 0;
  private win: Uint8Array = new Uint8Array(0);
  private winStart = 0;
  private view = new DataView(this.win.buffer);
  constructor(
    private readonly src: ByteSource,
    private readonly what: () => string,
  ) {}

  private async ensure(n: number): Promise<number> {
    if (this.pos + n > this.src.size) {
      throw new FormatError(
        this.src.name,
        `ends at byte ${this.src.size} while reading ${this.what()} (needs bytes ${this.pos}..${this.pos + n})`,
        'The file is truncated: download it again',
      );
    }
    if (this.pos < this.winStart || this.pos + n > this.winStart + this.win.byteLength) {
      const len = Math.min(Math.max(n, CHUNK), this.src.size - this.pos);
      this.win = await this.src.read(this.pos, len);
      this.winStart = this.pos;
      this.view = new DataView(this.win.buffer, this.win.byteOffset, this.win.byteLength);
    }
    const at = this.pos - this.winStart;
    this.pos += n;
    return at;
  }
  // ensure() may replace the window, so the view is read only after it resolves.
  async u8() {
    const at = await this.ensure(1);
    return this.view.getUint8(at);
  }
  async i8() {
    const at = await this.ensure(1);
    return this.view.getInt8(at);
  }
  async u16() {
    const at = await this.ensure(2);
    return this.view.getUint16(at, true);
  }
  async i16() {
    const at = await this.ensure(2);
    return this.view.getInt16(at, true);
  }
  async u32() {
    const at = await this.ensure(4);
    return this.view.getUint32(at, true);
  }
  async i32() {
    const at = await this.ensure(4);
    return this.view.getInt32(at, true);
  }
  async f32() {
    const at = await this.ensure(4);
    return this.view.getFloat32(at, true);
  }
  async f64() {
    const at = await this.ensure(8);
    return this.view.getFloat64(at, true);
  }
  async u64(): Promise<bigint> {
    const at = await this.ensure(8);
    return this.view.getBigUint64(at, true);
  }
  async i64(): Promise<bigint> {
    const at = await this.ensure(8);
    return this.view.getBigInt64(at, true);
  }
  async bytes(n: number): Promise<Uint8Array> {
    const at = await this.ensure(n);
    return this.win.subarray(at, at + n);
  }
}

const UTF8 = new TextDecoder();

function capCount(src: ByteSource, v: bigint, max: number, what: string): number {
  if (v > BigInt(max)) {
    throw new FormatError(src.name, `declares ${v} ${what}, over the limit of ${max}`, 'The file is corrupt or not a GGUF model: download it again');
  }
  return Number(v);
}

/** What the metadata read so far has declared, against MAX_METADATA_BYTES / MAX_METADATA_VALUES. */
interface MetadataBudget {
  bytes: number;
  values: number;
  key: string;
}

function charge(src: ByteSource, r: ChunkedReader, budget: MetadataBudget | undefined, values: number, bytes: number, what: string): void {
  const fix = 'The file is corrupt or is not a model GGUF this studio reads';
  const left = src.size - r.pos;
  if (bytes > left) {
    throw new FormatError(
      src.name,
      `metadata "${budget?.key ?? '?'}" declares ${what} needing at least ${bytes} bytes, but only ${left} bytes remain in the file`,
      'The file is truncated or corrupt: download it again',
    );
  }
  if (!budget) return;
  budget.values += values;
  budget.bytes += bytes;
  if (budget.values > MAX_METADATA_VALUES || budget.bytes > MAX_METADATA_BYTES) {
    throw new FormatError(
      src.name,
      `metadata "${budget.key}" declares ${what}, which brings the metadata to ${budget.values} values and ${budget.bytes} bytes, over the limit of ${MAX_METADATA_VALUES} values and ${MAX_METADATA_BYTES} bytes (a real model's vocabulary takes a few MB)`,
      fix,
    );
  }
}

async function readString(r: ChunkedReader, src: ByteSource, budget?: MetadataBudget): Promise<string> {
  const n = capCount(src, await r.u64(), MAX_STRING_BYTES, 'bytes in a string');
  charge(src, r, budget, 1, n, `a string of ${n} bytes`);
  return UTF8.decode(await r.bytes(n));
}

/** Bytes of one array element at least (a string or an array has its 8-byte length; an array also its type). */
const MIN_ITEM_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 8: 8, 9: 12, 10: 8, 11: 8, 12: 8 };

async function readValue(r: ChunkedReader, src: ByteSource, type: number, depth: number, budget: MetadataBudget): Promise<GgufValue> {
  switch (type) {
    case GgufValueType.UINT8:
      return r.u8();
    case GgufValueType.INT8:
      return r.i8();
    case GgufValueType.UINT16:
      return r.u16();
    case GgufValueType.INT16:
      return r.i16();
    case GgufValueType.UINT32:
      return r.u32();
    case GgufValueType.INT32:
      return r.i32();
    case GgufValueType.FLOAT32:
      return r.f32();
    case GgufValueType.FLOAT64:
      return r.f64();
    case GgufValueType.BOOL:
      return (await r.u8()) !== 0;
    case GgufValueType.STRING:
      return readString(r, src, budget);
    case GgufValueType.UINT64:
    case GgufValueType.INT64: {
      const v = type === GgufValueType.UINT64 ? await r.u64() : await r.i64();
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
    }
    case GgufValueType.ARRAY: {
      if (depth > 2) throw new FormatError(src.name, 'nests arrays more than 2 deep', 'The file is corrupt: download it again');
      const itemType = await r.u32();
      const n = capCount(src, await r.u64(), MAX_ARRAY_LENGTH, 'array elements');
      const itemBytes = MIN_ITEM_BYTES[itemType];
      if (itemBytes === undefined)
        throw new FormatError(src.name, `has a metadata array of unknown type ${itemType}`, 'The file is corrupt or from a newer GGUF version');
      // Strings and nested arrays charge their own contents as they are read; their lengths are charged here.
      charge(src, r, budget, n, n * itemBytes, `an array of ${n} ${itemType === GgufValueType.STRING ? 'strings' : 'values'}`);
      // Numeric arrays (scores, token types) go straight into typed arrays.
      if (itemType === GgufValueType.FLOAT32 || itemType === GgufValueType.INT32 || itemType === GgufValueType.UINT32) {
        const b = await r.bytes(n * 4);
        const copy = new Uint8Array(b).buffer;
        return itemType === GgufValueType.FLOAT32 ? new Float32Array(copy) : itemType === GgufValueType.INT32 ? new Int32Array(copy) : new Uint32Array(copy);
      }
      const out: GgufValue[] = [];
      for (let i = 0; i < n; i++) out.push(await readValue(r, src, itemType, depth + 1, budget));
      return out;
    }
    default:
      throw new FormatError(src.name, `has a metadata value of unknown type ${type}`, 'The file is corrupt or from a newer GGUF version');
  }
}

function tensorBytes(src: ByteSource, name: string, ne: number[], type: number): number {
  const numel = ne.reduce((a, b) => a * b, 1);
  switch (type) {
    case GGML_TYPE.F32:
      return numel * 4;
    case GGML_TYPE.F16:
    case GGML_TYPE.BF16:
      return numel * 2;
  }
  const block = GGML_BLOCKS[type];
  if (!block)
    throw new FormatError(
      src.name,
      `is stored as ${ggmlTypeName(type)}, which this loader does not read (it reads F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, the k-quants Q2_K to Q6_K, IQ4_NL and IQ4_XS; the other IQ types, IQ1_S/IQ1_M, IQ2_* and IQ3_*, are refused)`,
      'Use a GGUF of those types (Q2_K to Q6_K_M, IQ4_XS, Q8_0 or f16: llama.cpp convert_hf_to_gguf.py --outtype f16), or the original Hugging Face safetensors',
      name,
    );
  if (ne[0] % block.values !== 0)
    throw new FormatError(src.name, `is ${ggmlTypeName(type)} with a row of ${ne[0]} values, not a multiple of ${block.values}`, 'The file is corrupt', name);
  return (numel / block.values) * block.bytes;
}

const MAX_ALIGNMENT = 1 << 16;

/** general.alignment: a u32 power of two up to 64 KiB (llama.cpp writes 32), each fault said as it is. */
function checkAlignment(src: ByteSource, v: GgufValue): number {
  const fix = 'The file is corrupt: re-convert it with a current llama.cpp';
  const shown = typeof v === 'string' ? `the string ${JSON.stringify(v)}` : Array.isArray(v) || ArrayBuffer.isView(v) ? 'an array' : String(v);
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new FormatError(src.name, `has general.alignment ${shown}, expected an integer`, fix);
  if (v <= 0) throw new FormatError(src.name, `has general.alignment ${v}, expected a positive power of two`, fix);
  if (v & (v - 1) || v > 2 ** 31) throw new FormatError(src.name, `has general.alignment ${v}, not a power of two`, fix);
  if (v > MAX_ALIGNMENT) throw new FormatError(src.name, `has general.alignment ${v}, a power of two over this loader's limit of ${MAX_ALIGNMENT}`, fix);
  return v;
}

export async function readGguf(src: ByteSource): Promise<GgufFile> {
  let where = 'the header';
  const r = new ChunkedReader(src, () => where);
  if (src.size < 24) throw new FormatError(src.name, `is ${src.size} bytes, too short for a GGUF header`, 'The file is truncated or not a GGUF file');
  const magic = await r.u32();
  if (magic !== GGUF_MAGIC) {
    throw new FormatError(
      src.name,
      `does not start with the GGUF magic (found 0x${magic.toString(16).padStart(8, '0')})`,
      'This is not a GGUF file; for llama2.c .bin or safetensors load those files instead',
    );
  }
  const version = await r.u32();
  if (version !== 2 && version !== 3) {
    throw new FormatError(src.name, `is GGUF version ${version}; this loader reads versions 2 and 3`, 'Re-convert the model with a current llama.cpp');
  }
  const tensorCount = capCount(src, await r.u64(), MAX_TENSORS, 'tensors');
  const kvCount = capCount(src, await r.u64(), MAX_KV, 'metadata entries');
  const metadata = new Map<string, GgufValue>();
  const budget: MetadataBudget = { bytes: 0, values: 0, key: '' };
  for (let i = 0; i < kvCount; i++) {
    where = `metadata entry ${i} of ${kvCount}`;
    budget.key = `entry ${i}`;
    const key = await readString(r, src, budget);
    where = `metadata "${key}"`;
    budget.key = key;
    if (metadata.has(key)) throw new FormatError(src.name, `has the metadata key "${key}" twice`, 'The file is corrupt: download it again or re-convert it');
    const type = await r.u32();
    metadata.set(key, await readValue(r, src, type, 0, budget));
  }
  const infos: { name: string; ne: number[]; type: number; rel: number }[] = [];
  for (let i = 0; i < tensorCount; i++) {
    where = `tensor info ${i} of ${tensorCount}`;
    const name = await readString(r, src);
    where = `tensor info "${name}"`;
    const nDims = await r.u32();
    if (nDims < 1 || nDims > MAX_DIMS) throw new FormatError(src.name, `has ${nDims} dimensions (GGUF allows 1 to ${MAX_DIMS})`, 'The file is corrupt', name);
    const ne: number[] = [];
    for (let d = 0; d < nDims; d++) ne.push(capCount(src, await r.u64(), 2 ** 40, `elements in dimension ${d} of "${name}"`));
    if (ne.reduce((a, b) => a * b, 1) > Number.MAX_SAFE_INTEGER) throw new FormatError(src.name, `has an absurd shape [${ne}]`, 'The file is corrupt', name);
    const type = await r.u32();
    const rel = await r.u64();
    if (rel > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(src.name, `has an absurd data offset ${rel}`, 'The file is corrupt', name);
    infos.push({ name, ne, type, rel: Number(rel) });
  }
  const alignment = checkAlignment(src, metadata.get('general.alignment') ?? 32);
  const dataOffset = Math.ceil(r.pos / alignment) * alignment;
  const tensors = new Map<string, GgufTensorInfo>();
  const spans: Span[] = [];
  for (const t of infos) {
    const byteLength = tensorBytes(src, t.name, t.ne, t.type);
    if (t.rel % alignment !== 0)
      throw new FormatError(src.name, `has data offset ${t.rel}, not a multiple of the alignment ${alignment}`, 'The file is corrupt', t.name);
    const offset = dataOffset + t.rel;
    if (offset + byteLength > src.size) {
      throw new FormatError(
        src.name,
        `has data at bytes ${offset}..${offset + byteLength}, past the end of the file (${src.size} bytes)`,
        'The file is truncated: download it again',
        t.name,
      );
    }
    if (tensors.has(t.name)) throw new FormatError(src.name, 'appears twice', 'The file is corrupt', t.name);
    tensors.set(t.name, { name: t.name, ne: t.ne, type: t.type, offset, byteLength });
    spans.push({ name: t.name, start: t.rel, byteLength });
  }
  // llama.cpp writes each tensor at the next aligned offset after the previous one.
  checkTiling(
    src.name,
    spans,
    src.size - dataOffset,
    alignment,
    'The file is corrupt (its tensor offsets, types or shapes do not match its data): download it again or re-convert it',
  );
  return { source: src, version, metadata, tensors, alignment, dataOffset };
}

export async function readGgufTensor(file: GgufFile, name: string): Promise<Float32Array> {
  const t = file.tensors.get(name);
  if (!t) throw new FormatError(file.source.name, 'is not in this file', 'Check the tensor name', name);
  checkRange(file.source, t.offset, t.byteLength, `tensor "${name}"`);
  const bytes = await file.source.read(t.offset, t.byteLength);
  const numel = t.ne.reduce((a, b) => a * b, 1);
  switch (t.type) {
    case GGML_TYPE.F32:
      return f32FromBytes(bytes);
    case GGML_TYPE.F16:
      return f16ToF32(bytes);
    case GGML_TYPE.BF16:
      return bf16ToF32(bytes);
    default:
      if (GGML_BLOCKS[t.type]) return GGML_BLOCKS[t.type].decode(bytes, numel);
      throw new FormatError(file.source.name, `is stored as ${ggmlTypeName(t.type)}`, 'Unsupported tensor type', name);
  }
}

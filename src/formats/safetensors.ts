// safetensors: u64 LE header length, a JSON header {name: {dtype, shape, data_offsets}}, then data.
// Only the header is read up front; tensor bytes are read by range when asked for.
import { checkRange, utf8, type ByteSource } from './byte-source';
import { bf16ToF32, f16ToF32, f32FromBytes } from './dtype';
import { FormatError } from './errors';
import { firstDuplicateTopLevelKey } from './json-keys';
import { checkTiling, type Span } from './tiling';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';
const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
/** Integer tensors (GPTQ qweight/qzeros/g_idx): read only through readSafetensorsHeaderWithIntegers. */
export type SafetensorsIntDtype = 'I8' | 'U8' | 'I16' | 'I32' | 'I64';
const INT_DTYPE_BYTES: Record<SafetensorsIntDtype, number> = { I8: 1, U8: 1, I16: 2, I32: 4, I64: 8 };

/** Hugging Face's own limit for the JSON header. */
export const MAX_HEADER_BYTES = 100_000_000;
export const MAX_TENSORS = 1 << 20;
const MAX_DIMS = 8;

export interface SafetensorsTensorInfo {
  name: string;
  dtype: SafetensorsDtype | SafetensorsIntDtype;
  shape: number[];
  /** Absolute byte offset in the file. */
  offset: number;
  byteLength: number;
}

export interface SafetensorsFile {
  source: ByteSource;
  tensors: Map<string, SafetensorsTensorInfo>;
  metadata: Record<string, string>;
}

export function readSafetensorsHeader(src: ByteSource): Promise<SafetensorsFile> {
  return parseHeader(src, DTYPE_BYTES);
}

/** The same header reader, also accepting integer tensors (read them with readSafetensorsBytes). */
export function readSafetensorsHeaderWithIntegers(src: ByteSource): Promise<SafetensorsFile> {
  return parseHeader(src, { ...DTYPE_BYTES, ...INT_DTYPE_BYTES });
}

async function parseHeader(src: ByteSource, dtypeBytes: Record<string, number>): Promise<SafetensorsFile> {
  const fix = 'The file is truncated or is not a safetensors file: download it again';
  if (src.size < 8) throw new FormatError(src.name, `is ${src.size} bytes, too short for a safetensors header (8-byte length first)`, fix);
  const lenBytes = await src.read(0, 8);
  const view = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER_BYTES) {
    throw new FormatError(src.name, `declares a ${headerLen}-byte JSON header, over the ${MAX_HEADER_BYTES}-byte limit`, fix);
  }
  if (8 + headerLen > src.size) {
    throw new FormatError(src.name, `declares a ${headerLen}-byte JSON header but the file has only ${src.size} bytes`, fix);
  }
  // Read outside the try: a failed read (a cut connection) is not "invalid JSON".
  const headerText = utf8(await src.read(8, headerLen));
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    throw new FormatError(src.name, `has a header that is not valid JSON (${(e as Error).message})`, fix);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new FormatError(src.name, 'has a header that is not a JSON object', fix);
  }
  const duplicate = firstDuplicateTopLevelKey(headerText);
  if (duplicate !== undefined)
    throw new FormatError(src.name, 'is listed twice in the header (JSON keeps only the last entry, so which bytes are meant is unknown)', fix, duplicate);
  const dataStart = 8 + headerLen;
  const dataSize = src.size - dataStart;
  const entries = Object.entries(header as Record<string, unknown>);
  if (entries.length > MAX_TENSORS) throw new FormatError(src.name, `lists ${entries.length} entries, over the limit of ${MAX_TENSORS}`, fix);
  const tensors = new Map<string, SafetensorsTensorInfo>();
  const spans: Span[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of entries) {
    if (name === '__metadata__') {
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== 'object' || info === null) throw new FormatError(src.name, 'has a header entry that is not an object', fix, name);
    const dtype = info.dtype;
    if (typeof dtype !== 'string' || !Object.hasOwn(dtypeBytes, dtype)) {
      throw new FormatError(
        src.name,
        `has dtype ${JSON.stringify(dtype)}, which this loader does not read (it reads F32, F16 and BF16)`,
        "Use a float checkpoint (not a quantized or integer one), e.g. the repo's original F16/BF16 weights",
        name,
      );
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || shape.length > MAX_DIMS || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new FormatError(src.name, `has an invalid shape ${JSON.stringify(shape)}`, fix, name);
    }
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0) || offs[1] < offs[0]) {
      throw new FormatError(src.name, `has invalid data_offsets ${JSON.stringify(offs)}`, fix, name);
    }
    const numel = shape.reduce((a: number, b: number) => a * b, 1);
    const bytes = numel * dtypeBytes[dtype];
    if (offs[1] - offs[0] !== bytes) {
      throw new FormatError(
        src.name,
        `has data_offsets [${offs[0]}, ${offs[1]}] spanning ${offs[1] - offs[0]} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${bytes}`,
        fix,
        name,
      );
    }
    if (offs[1] > dataSize) {
      throw new FormatError(src.name, `has data_offsets [${offs[0]}, ${offs[1]}] past the end of the data (${dataSize} bytes after the header)`, fix, name);
    }
    spans.push({ name, start: offs[0], byteLength: bytes });
    tensors.set(name, {
      name,
      dtype: dtype as SafetensorsDtype | SafetensorsIntDtype,
      shape: shape as number[],
      offset: dataStart + offs[0],
      byteLength: bytes,
    });
  }
  // Hugging Face's reader demands the same: the tensors tile the bytes after the header exactly.
  checkTiling(src.name, spans, dataSize, 1, fix);
  return { source: src, tensors, metadata };
}

export async function readSafetensorsTensor(file: SafetensorsFile, name: string): Promise<Float32Array> {
  const info = file.tensors.get(name);
  if (!info) throw new FormatError(file.source.name, 'is not in this file', 'Check the tensor name', name);
  checkRange(file.source, info.offset, info.byteLength, `tensor "${name}"`);
  const bytes = await file.source.read(info.offset, info.byteLength);
  switch (info.dtype) {
    case 'F32':
      return f32FromBytes(bytes);
    case 'F16':
      return f16ToF32(bytes);
    case 'BF16':
      return bf16ToF32(bytes);
    default:
      throw new FormatError(file.source.name, `is an integer (${info.dtype}) tensor, not a float one`, 'Read it with readSafetensorsBytes', name);
  }
}

/** A tensor's raw little-endian bytes (integer tensors). */
export async function readSafetensorsBytes(file: SafetensorsFile, name: string): Promise<Uint8Array> {
  const info = file.tensors.get(name);
  if (!info) throw new FormatError(file.source.name, 'is not in this file', 'Check the tensor name', name);
  checkRange(file.source, info.offset, info.byteLength, `tensor "${name}"`);
  return file.source.read(info.offset, info.byteLength);
}

/** Writes F32 tensors as a safetensors file (header padded with spaces to 8 bytes, as HF does). */
export function writeSafetensors(
  tensors: { name: string; shape: number[]; data: Float32Array }[],
  metadata: Record<string, string> = { format: 'pt' },
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) throw new Error(`${t.name}: shape [${t.shape}] has ${numel} elements, data has ${t.data.length}`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  while (enc.encode(json).byteLength % 8 !== 0) json += ' ';
  const headerBytes = enc.encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.byteLength;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    p += t.data.byteLength;
  }
  return out;
}

// Streaming safetensors writer: the JSON header is built from names, dtypes and shapes alone, then
// each tensor's bytes are produced and written one at a time (no whole-file buffer).
import { floatToHalf } from '../formats/dtype';
import { bytesOf, type FileWriter } from './sink';

export type WriteDtype = 'F32' | 'F16' | 'I32';
const BYTES: Record<WriteDtype, number> = { F32: 4, F16: 2, I32: 4 };

export interface TensorToWrite {
  name: string;
  dtype: WriteDtype;
  shape: number[];
  /** F32/F16: float values (F16 is rounded here); I32: Int32Array. */
  data(): Promise<Float32Array | Int32Array>;
}

export function toF16Bytes(x: Float32Array): Uint8Array {
  const h = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) h[i] = floatToHalf(x[i]);
  return bytesOf(h);
}

export async function writeSafetensorsStream(w: FileWriter, tensors: TensorToWrite[], metadata: Record<string, string> = { format: 'pt' }): Promise<void> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const sizes: number[] = [];
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1) * BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    sizes.push(size);
    offset += size;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  // HF pads the header with spaces so the data starts 8-byte aligned.
  while (enc.encode(json).byteLength % 8 !== 0) json += ' ';
  const headerBytes = enc.encode(json);
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  await w.write(len);
  await w.write(headerBytes);
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i];
    const d = await t.data();
    const bytes = t.dtype === 'F16' ? toF16Bytes(d as Float32Array) : bytesOf(d);
    if ((t.dtype === 'I32') !== d instanceof Int32Array)
      throw new Error(`${t.name}: ${t.dtype} needs ${t.dtype === 'I32' ? 'Int32Array' : 'Float32Array'} data`);
    if (bytes.byteLength !== sizes[i]) throw new Error(`${t.name}: ${bytes.byteLength} bytes for shape [${t.shape}] of ${t.dtype}, expected ${sizes[i]}`);
    await w.write(bytes);
  }
}

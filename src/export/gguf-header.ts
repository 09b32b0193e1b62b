// The GGUF v3 header's binary encoding: little-endian scalars, length-prefixed strings, and the typed
// key/value pairs of the metadata (one tag per value kind gguf-writer.ts writes).
import { GgufValueType } from '../formats/gguf';
import { bytesOf } from './sink';

export class HeaderWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private push(b: Uint8Array) {
    this.chunks.push(b);
    this.size += b.byteLength;
  }
  private scalar(bytes: number, set: (v: DataView) => void) {
    const b = new Uint8Array(bytes);
    set(new DataView(b.buffer));
    this.push(b);
  }
  u8(v: number) {
    this.scalar(1, (d) => d.setUint8(0, v));
  }
  u32(v: number) {
    this.scalar(4, (d) => d.setUint32(0, v, true));
  }
  i32(v: number) {
    this.scalar(4, (d) => d.setInt32(0, v, true));
  }
  f32(v: number) {
    this.scalar(4, (d) => d.setFloat32(0, v, true));
  }
  u64(v: number) {
    this.scalar(8, (d) => d.setBigUint64(0, BigInt(v), true));
  }
  str(s: string) {
    const b = new TextEncoder().encode(s);
    this.u64(b.byteLength);
    this.push(b);
  }
  raw(b: Uint8Array) {
    this.push(b);
  }
  get length() {
    return this.size;
  }
  finish(padTo: number): Uint8Array {
    const total = Math.ceil(this.size / padTo) * padTo;
    const out = new Uint8Array(total);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.byteLength;
    }
    return out;
  }
}

export type Kv =
  | { t: 'u32' | 'i32' | 'f32'; v: number }
  | { t: 'str'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'str[]'; v: string[] }
  | { t: 'f32[]'; v: ArrayLike<number> }
  | { t: 'i32[]'; v: ArrayLike<number> };

export function writeKv(w: HeaderWriter, key: string, kv: Kv): void {
  const T = GgufValueType;
  w.str(key);
  switch (kv.t) {
    case 'u32':
      w.u32(T.UINT32);
      w.u32(kv.v);
      break;
    case 'i32':
      w.u32(T.INT32);
      w.i32(kv.v);
      break;
    case 'f32':
      w.u32(T.FLOAT32);
      w.f32(kv.v);
      break;
    case 'bool':
      w.u32(T.BOOL);
      w.u8(kv.v ? 1 : 0);
      break;
    case 'str':
      w.u32(T.STRING);
      w.str(kv.v);
      break;
    case 'str[]':
      w.u32(T.ARRAY);
      w.u32(T.STRING);
      w.u64(kv.v.length);
      kv.v.forEach((s) => w.str(s));
      break;
    case 'f32[]':
      w.u32(T.ARRAY);
      w.u32(T.FLOAT32);
      w.u64(kv.v.length);
      w.raw(bytesOf(Float32Array.from(kv.v)));
      break;
    case 'i32[]':
      w.u32(T.ARRAY);
      w.u32(T.INT32);
      w.u64(kv.v.length);
      w.raw(bytesOf(Int32Array.from(kv.v)));
      break;
  }
}

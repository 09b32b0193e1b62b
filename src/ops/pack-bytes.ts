// u32 values that fit a byte (quantization codes) packed four to a word before they are read
// back: the readback of a model's codes moves a quarter of the bytes, and the CPU takes them as
// a Uint8Array without converting.
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';

const WG = 256;
const PACK_BYTES = defineKernel({ shader: 'pack-bytes', uniforms: { n: 'u32', words: 'u32' }, bindings: { src: 'read', out: 'write' } });

/** [ceil(n/4)] u32 words holding src's low bytes in order (little-endian): read back as bytes, src[i] is byte i. */
export function packBytes(gpu: Gpu, src: Tensor): Tensor {
  if (src.dtype !== 'u32') throw new Error(`packBytes: ${src.name} is ${src.dtype}, not u32`);
  const words = Math.max(1, Math.ceil(src.size / 4));
  const out = gpu.tensor([words], 'u32', `${src.name}.bytes`);
  gpu.dispatch(PACK_BYTES, {
    params: { WG },
    uniforms: { n: src.size, words },
    bindings: { src, out },
    workgroups: gpu.grid1D(Math.ceil(words / WG)),
    label: 'pack-bytes',
  });
  return out;
}

/** The codes of a u32 tensor as bytes (values above 255 keep their low byte). */
export async function readBytes(gpu: Gpu, src: Tensor): Promise<Uint8Array> {
  const packed = packBytes(gpu, src);
  const pending = packed.read();
  packed.release(); // its copy is queued before anything can reuse the buffer
  const bytes = new Uint8Array((await pending).buffer);
  // exactly n bytes in its own buffer (users may take .buffer whole)
  return bytes.length === src.size ? bytes : bytes.slice(0, src.size);
}

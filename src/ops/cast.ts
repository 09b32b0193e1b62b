// f32 -> f16 conversion for the half-precision matmuls, with an overflow count so that a tensor
// whose values do not fit f16 is reported and kept in f32 instead of turning into Inf.
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';

const WG = 256;

/**
 * The f16 copy a kernel writes of its own f32 output (its HALF_OUT variant) in the same pass, with
 * the value and overflow count castToF16 would give (shaders/f16-overflow.wgsl): `copy` the
 * same shape as the output, overflow counted at counts[slot]. ops/precision.ts's halfCopyTarget
 * makes one where a Linear product will read that output in f16.
 */
export interface HalfOut {
  copy: Tensor;
  counts: Tensor;
  slot: number;
}

/** Whether a kernel binding `storage` storage buffers (its f16 copies and counters included) fits the device's per-stage limit. */
export function storageBindingsFit(gpu: Gpu, storage: number): boolean {
  return storage <= (gpu.device.limits.maxStorageBuffersPerShaderStage ?? 8);
}

/** Checks a HALF_OUT target against the output it copies. */
export function checkHalfOut(op: string, out: Tensor, half: HalfOut): void {
  if (half.copy.dtype !== 'f16' || half.copy.size !== out.size)
    throw new Error(`${op}: the f16 copy must be f16 of ${out.size} elements, got ${half.copy.dtype} [${half.copy.shape}]`);
  if (half.counts.dtype !== 'u32' || half.slot >= half.counts.size) throw new Error(`${op}: overflow counters must be u32 with slot ${half.slot}`);
}
const CAST_F16 = defineKernel({ shader: 'cast-f16', uniforms: { n: 'u32', slot: 'u32' }, bindings: { src: 'read', out: 'write', overflow: 'write' } });

/**
 * out = f16(src); adds to overflow[slot] (u32 counters the caller zeroed) the number of elements
 * that would round past ±65504 or are not finite (those are written clamped to ±65504). Needs shader-f16.
 */
export function castToF16(gpu: Gpu, src: Tensor, overflow: Tensor, out = gpu.tensor(src.shape, 'f16', `${src.name}.f16`), slot = 0): Tensor {
  if (!gpu.hasF16) throw new Error('castToF16: this device has no shader-f16');
  if (src.dtype !== 'f32' || out.dtype !== 'f16' || out.size !== src.size)
    throw new Error(`castToF16: want f32 [${src.shape}] -> f16 of the same size, got ${src.dtype} -> ${out.dtype} [${out.shape}]`);
  if (overflow.dtype !== 'u32' || slot >= overflow.size) throw new Error(`castToF16: overflow must be a u32 tensor with slot ${slot}`);
  gpu.dispatch(CAST_F16, {
    params: { WG },
    uniforms: { n: src.size, slot },
    bindings: { src, out, overflow },
    workgroups: gpu.grid1D(Math.ceil(src.size / WG)),
    label: 'cast-f16',
  });
  return out;
}

// Numerically stable row softmax and log-sum-exp of x [rows, cols] (last dimension = cols). One
// workgroup per row with an online (max, sum) strided loop, so cols may be a 151936-wide vocabulary.
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';

/** out[r, :] = softmax, or (LSE) out[r] = log-sum-exp. */
const SOFTMAX = defineKernel({ shader: 'softmax', uniforms: { rows: 'u32', cols: 'u32' }, bindings: { x: 'read', out: 'write' } });

/** Threads per row: a power of two in [32, 256], about cols/4 (the kernel reads 4 values a step). */
function rowWorkgroup(cols: number): number {
  let wg = 32;
  while (wg * 4 < cols && wg < 256) wg *= 2;
  return wg;
}

function rowsCols(op: string, x: Tensor): [number, number] {
  if (x.dtype !== 'f32') throw new Error(`${op}: ${x.name} is ${x.dtype}, not f32`);
  const cols = x.shape[x.shape.length - 1] ?? 1;
  if (cols === 0) throw new Error(`${op}: rows of ${x.name} are empty`);
  return [x.size / cols, cols];
}

/** out[r, :] = softmax(x[r, :]). out must not alias x. */
export function softmaxRows(gpu: Gpu, x: Tensor, out = gpu.tensor(x.shape, 'f32', 'softmax')): Tensor {
  const [rows, cols] = rowsCols('softmaxRows', x);
  if (out.size !== x.size || out.dtype !== 'f32') throw new Error(`softmaxRows: out must be f32 with ${x.size} values`);
  if (out.buffer === x.buffer) throw new Error('softmaxRows: out must not alias x');
  gpu.dispatch(SOFTMAX, {
    params: { WG: rowWorkgroup(cols), LSE: false },
    uniforms: { rows, cols },
    bindings: { x, out },
    workgroups: gpu.grid1D(rows),
    label: 'softmaxRows',
  });
  return out;
}

/** out[r] = log(sum over c of exp(x[r, c])). */
export function logsumexpRows(gpu: Gpu, x: Tensor, out?: Tensor): Tensor {
  const [rows, cols] = rowsCols('logsumexpRows', x);
  const dst = out ?? gpu.tensor([rows], 'f32', 'logsumexp');
  if (dst.size !== rows || dst.dtype !== 'f32') throw new Error(`logsumexpRows: out must be f32 with ${rows} values`);
  gpu.dispatch(SOFTMAX, {
    params: { WG: rowWorkgroup(cols), LSE: true },
    uniforms: { rows, cols },
    bindings: { x, out: dst },
    workgroups: gpu.grid1D(rows),
    label: 'logsumexpRows',
  });
  return dst;
}

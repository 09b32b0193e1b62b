// Broadcast ops on x [rows, cols] (any shape whose last dimension is cols): a row vector v [cols]
// applies per column, a column vector v [rows] per row. `out` may be x itself (in place).
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import { inPlace, type Tensor } from '../gpu/tensor';

const WG = 256;

/** INPLACE binds out alone (x is read from it); otherwise src, vals, out. */
const BROADCAST = defineKernel({ shader: 'broadcast', uniforms: { n: 'u32', cols: 'u32' }, bindings: { src: 'read?', vals: 'read', out: 'write' } });

function broadcast(gpu: Gpu, op: string, expr: string, perColumn: boolean, x: Tensor, v: Tensor, out: Tensor): Tensor {
  for (const t of [x, v, out]) if (t.dtype !== 'f32') throw new Error(`${op}: ${t.name} is ${t.dtype}, not f32`);
  const cols = x.shape[x.shape.length - 1] ?? 1;
  const rows = cols === 0 ? 0 : x.size / cols;
  const want = perColumn ? cols : rows;
  if (v.size !== want) throw new Error(`${op}: vector ${v.name} has ${v.size} values, x [${x.shape}] needs ${want}`);
  if (out.size !== x.size) throw new Error(`${op}: out has ${out.size} values, x has ${x.size}`);
  if (v.buffer === out.buffer) throw new Error(`${op}: out must not alias the vector`);
  const same = inPlace(op, out, x);
  gpu.dispatch(BROADCAST, {
    params: { WG, EXPR: expr, PER_COLUMN: perColumn, INPLACE: same },
    uniforms: { n: x.size, cols },
    bindings: same ? { out, vals: v } : { src: x, vals: v, out },
    workgroups: gpu.grid1D(Math.ceil(x.size / WG)),
    label: op,
  });
  return out;
}

/** out[r, c] = x[r, c] * v[c]. */
export function mulRowVector(gpu: Gpu, x: Tensor, v: Tensor, out = gpu.tensor(x.shape, 'f32', 'mulRowVector')): Tensor {
  return broadcast(gpu, 'mulRowVector', 'x * w', true, x, v, out);
}

/** out[r, c] = x[r, c] / v[c]. */
export function divRowVector(gpu: Gpu, x: Tensor, v: Tensor, out = gpu.tensor(x.shape, 'f32', 'divRowVector')): Tensor {
  return broadcast(gpu, 'divRowVector', 'x / w', true, x, v, out);
}

/** out[r, c] = x[r, c] + v[c]. */
export function addRowVector(gpu: Gpu, x: Tensor, v: Tensor, out = gpu.tensor(x.shape, 'f32', 'addRowVector')): Tensor {
  return broadcast(gpu, 'addRowVector', 'x + w', true, x, v, out);
}

/** out[r, c] = x[r, c] * v[r]. */
export function mulColVector(gpu: Gpu, x: Tensor, v: Tensor, out = gpu.tensor(x.shape, 'f32', 'mulColVector')): Tensor {
  return broadcast(gpu, 'mulColVector', 'x * w', false, x, v, out);
}

/** out[r, c] = x[r, c] / v[r]. */
export function divColVector(gpu: Gpu, x: Tensor, v: Tensor, out = gpu.tensor(x.shape, 'f32', 'divColVector')): Tensor {
  return broadcast(gpu, 'divColVector', 'x / w', false, x, v, out);
}

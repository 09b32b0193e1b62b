// Element-wise f32 ops. Every op accepts `out` equal to one of its inputs (in place): the kernels
// have variants that bind the aliased buffer once, since WebGPU forbids read + read_write bindings
// of one buffer in a dispatch.
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import { inPlace, type Tensor } from '../gpu/tensor';

const WG = 256;

/** An operand aliased by out is not bound: the kernel reads it from out. */
const BINARY = defineKernel({ shader: 'elementwise-binary', uniforms: { n: 'u32', s: 'f32' }, bindings: { a: 'read?', b: 'read?', out: 'write' } });
const UNARY = defineKernel({ shader: 'elementwise-unary', uniforms: { n: 'u32', s: 'f32' }, bindings: { src: 'read?', out: 'write' } });

function requireF32(op: string, ...ts: Tensor[]): void {
  for (const t of ts) if (t.dtype !== 'f32') throw new Error(`${op}: ${t.name} is ${t.dtype}, not f32`);
}

/** out = EXPR(x, y) with x = a[i], y = b[i]; `s` is the scalar p.s of EXPR. */
function binary(gpu: Gpu, op: string, expr: string, a: Tensor, b: Tensor, out: Tensor, s = 0): Tensor {
  requireF32(op, a, b, out);
  if (a.size !== b.size || out.size !== a.size) throw new Error(`${op}: sizes ${a.size}, ${b.size} and out ${out.size} differ`);
  let mode: string;
  let bindings: { a?: Tensor; b?: Tensor; out: Tensor };
  const [onA, onB] = [inPlace(op, out, a), inPlace(op, out, b)];
  if (onA && onB) [mode, bindings] = ['INPLACE_AB', { out }];
  else if (onA) [mode, bindings] = ['INPLACE_A', { out, b }];
  else if (onB) [mode, bindings] = ['INPLACE_B', { out, a }];
  else [mode, bindings] = ['SEPARATE', { a, b, out }];
  gpu.dispatch(BINARY, {
    params: { WG, EXPR: expr, [mode]: true },
    uniforms: { n: a.size, s },
    bindings,
    workgroups: gpu.grid1D(Math.ceil(a.size / WG)),
    label: op,
  });
  return out;
}

/** out = EXPR(x) with x = src[i]; `s` is the scalar p.s of EXPR. */
function unary(gpu: Gpu, op: string, expr: string, src: Tensor, out: Tensor, s = 0): Tensor {
  requireF32(op, src, out);
  if (out.size !== src.size) throw new Error(`${op}: sizes ${src.size} and out ${out.size} differ`);
  const same = inPlace(op, out, src);
  gpu.dispatch(UNARY, {
    params: { WG, EXPR: expr, INPLACE: same },
    uniforms: { n: src.size, s },
    bindings: same ? { out } : { src, out },
    workgroups: gpu.grid1D(Math.ceil(src.size / WG)),
    label: op,
  });
  return out;
}

/** out = a + b, element-wise, same size. */
export function add(gpu: Gpu, a: Tensor, b: Tensor, out = gpu.tensor(a.shape, 'f32', 'add')): Tensor {
  return binary(gpu, 'add', 'x + y', a, b, out);
}

/** out = a - b, element-wise, same size. */
export function sub(gpu: Gpu, a: Tensor, b: Tensor, out = gpu.tensor(a.shape, 'f32', 'sub')): Tensor {
  return binary(gpu, 'sub', 'x - y', a, b, out);
}

/** out = a * b, element-wise, same size. */
export function mul(gpu: Gpu, a: Tensor, b: Tensor, out = gpu.tensor(a.shape, 'f32', 'mul')): Tensor {
  return binary(gpu, 'mul', 'x * y', a, b, out);
}

/** out = s * a. */
export function scale(gpu: Gpu, a: Tensor, s: number, out = gpu.tensor(a.shape, 'f32', 'scale')): Tensor {
  return unary(gpu, 'scale', 'x * p.s', a, out, s);
}

/** out = a * a. */
export function square(gpu: Gpu, a: Tensor, out = gpu.tensor(a.shape, 'f32', 'square')): Tensor {
  return unary(gpu, 'square', 'x * x', a, out);
}

/** y += alpha * x, in place on y; returns y. */
export function axpy(gpu: Gpu, y: Tensor, x: Tensor, alpha: number): Tensor {
  return binary(gpu, 'axpy', 'x + p.s * y', y, x, y, alpha);
}

/** Sets every element of t to value, in place; returns t. */
export function fill(gpu: Gpu, t: Tensor, value: number): Tensor {
  requireF32('fill', t);
  if (value === 0 && !Object.is(value, -0)) gpu.clear(t);
  else unary(gpu, 'fill', 'p.s', t, t, value);
  return t;
}

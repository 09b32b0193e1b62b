// Activation functions of the MLP, forward and backward: SwiGLU (LLaMA), ReLU (OPT) and the exact
// erf form of GELU (torch nn.GELU default, not the tanh approximation).
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';
import { checkHalfOut, type HalfOut } from './cast';

const WG = 256;

/** BACKWARD: dgate, dup from dy; else y. */
const SWIGLU = defineKernel({
  shader: 'activation-swiglu',
  uniforms: { n: 'u32', slot: 'u32', slot2: 'u32' },
  bindings: {
    dy: 'read?',
    gate: 'read',
    up: 'read',
    dgate: 'write?',
    dup: 'write?',
    y: 'write?',
    y16: 'write?',
    dgate16: 'write?',
    dup16: 'write?',
    overflow: 'write?',
  },
});
/** ReLU or (GELU) GELU; BACKWARD: dx from dy, else y. */
const UNARY = defineKernel({
  shader: 'activation-unary',
  uniforms: { n: 'u32' },
  bindings: { dy: 'read?', x: 'read', dx: 'write?', y: 'write?' },
});

function sameSize(op: string, ...ts: Tensor[]): number {
  const n = ts[0].size;
  for (const t of ts) if (t.size !== n) throw new Error(`${op}: sizes ${ts.map((u) => u.size).join(', ')} differ`);
  return n;
}

/** silu(gate) * up; with `half`, its f16 copy too (ops/cast.ts, HalfOut). */
export function swiglu(gpu: Gpu, gate: Tensor, up: Tensor, out = gpu.tensor(gate.shape, 'f32', 'swiglu'), half?: HalfOut | null): Tensor {
  const n = sameSize('swiglu', gate, up, out);
  if (half) checkHalfOut('swiglu', out, half);
  gpu.dispatch(SWIGLU, {
    params: { WG, BACKWARD: false, HALF_OUT: Boolean(half) },
    uniforms: { n, slot: half?.slot ?? 0, slot2: 0 },
    bindings: { gate, up, y: out, y16: half?.copy, overflow: half?.counts },
    workgroups: gpu.grid1D(Math.ceil(n / WG)),
    label: 'swiglu',
  });
  return out;
}

/**
 * dgate and dup from dy; with `half` (both or neither: one pass writes them), their f16 copies too,
 * on the same counters (ops/cast.ts, HalfOut).
 */
export function swigluBackward(gpu: Gpu, dy: Tensor, gate: Tensor, up: Tensor, half?: { dgate: HalfOut; dup: HalfOut } | null): { dgate: Tensor; dup: Tensor } {
  const n = sameSize('swigluBackward', dy, gate, up);
  const dgate = gpu.tensor(gate.shape, 'f32', 'swiglu.dgate');
  const dup = gpu.tensor(up.shape, 'f32', 'swiglu.dup');
  if (half) {
    checkHalfOut('swigluBackward', dgate, half.dgate);
    checkHalfOut('swigluBackward', dup, half.dup);
    if (half.dgate.counts !== half.dup.counts) throw new Error('swigluBackward: both f16 copies count on one counter tensor');
  }
  gpu.dispatch(SWIGLU, {
    params: { WG, BACKWARD: true, HALF_OUT: Boolean(half) },
    uniforms: { n, slot: half?.dgate.slot ?? 0, slot2: half?.dup.slot ?? 0 },
    bindings: { dy, gate, up, dgate, dup, dgate16: half?.dgate.copy, dup16: half?.dup.copy, overflow: half?.dgate.counts },
    workgroups: gpu.grid1D(Math.ceil(n / WG)),
    label: 'swiglu.backward',
  });
  return { dgate, dup };
}

export function relu(gpu: Gpu, x: Tensor, out = gpu.tensor(x.shape, 'f32', 'relu')): Tensor {
  const n = sameSize('relu', x, out);
  gpu.dispatch(UNARY, {
    params: { WG, GELU: false, BACKWARD: false },
    uniforms: { n },
    bindings: { x, y: out },
    workgroups: gpu.grid1D(Math.ceil(n / WG)),
    label: 'relu',
  });
  return out;
}

/** dx = dy where x > 0, else 0 (0 at x = 0, as torch). */
export function reluBackward(gpu: Gpu, dy: Tensor, x: Tensor): Tensor {
  const n = sameSize('reluBackward', dy, x);
  const dx = gpu.tensor(x.shape, 'f32', 'relu.dx');
  gpu.dispatch(UNARY, {
    params: { WG, GELU: false, BACKWARD: true },
    uniforms: { n },
    bindings: { dy, x, dx },
    workgroups: gpu.grid1D(Math.ceil(n / WG)),
    label: 'relu.backward',
  });
  return dx;
}

/** x * Phi(x) with the exact normal CDF. */
export function gelu(gpu: Gpu, x: Tensor, out = gpu.tensor(x.shape, 'f32', 'gelu')): Tensor {
  const n = sameSize('gelu', x, out);
  gpu.dispatch(UNARY, {
    params: { WG, GELU: true, BACKWARD: false },
    uniforms: { n },
    bindings: { x, y: out },
    workgroups: gpu.grid1D(Math.ceil(n / WG)),
    label: 'gelu',
  });
  return out;
}

export function geluBackward(gpu: Gpu, dy: Tensor, x: Tensor): Tensor {
  const n = sameSize('geluBackward', dy, x);
  const dx = gpu.tensor(x.shape, 'f32', 'gelu.dx');
  gpu.dispatch(UNARY, {
    params: { WG, GELU: true, BACKWARD: true },
    uniforms: { n },
    bindings: { dy, x, dx },
    workgroups: gpu.grid1D(Math.ceil(n / WG)),
    label: 'gelu.backward',
  });
  return dx;
}

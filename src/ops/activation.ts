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
  uniforms: { n: 'u32', slot: 'u32', slot2: 'u32', width: 'u32' },
  bindings: {
    dy: 'read?',
    gate: 'read?',
    up: 'read?',
    gateUp: 'read?',
    dgate: 'write?',
    dup: 'write?',
    dGateUp: 'write?',
    y: 'write?',
    y16: 'write?',
    dgate16: 'write?',
    dup16: 'write?',
    dGateUp16: 'write?',
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
    uniforms: { n, slot: half?.slot ?? 0, slot2: 0, width: 0 },
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
    uniforms: { n, slot: half?.dgate.slot ?? 0, slot2: half?.dup.slot ?? 0, width: 0 },
    bindings: { dy, gate, up, dgate, dup, dgate16: half?.dgate.copy, dup16: half?.dup.copy, overflow: half?.dgate.counts },
    workgroups: gpu.grid1D(Math.ceil(n / WG)),
    label: 'swiglu.backward',
  });
  return { dgate, dup };
}

/** The width of a [T, 2*width] tensor holding gate and up side by side (each row: gate's width values, then up's). */
function halfWidth(op: string, gateUp: Tensor): number {
  const cols = gateUp.shape[gateUp.shape.length - 1];
  if (gateUp.shape.length < 2 || cols % 2 !== 0) throw new Error(`${op}: gate and up side by side need [tokens, 2*width], got [${gateUp.shape}]`);
  return cols / 2;
}

/**
 * silu(gate) * up from gate and up side by side in one [T, 2*width] tensor (the product of their
 * stacked weights): [T, width]; with `half`, its f16 copy too (ops/cast.ts, HalfOut).
 */
export function swigluSideBySide(gpu: Gpu, gateUp: Tensor, half?: HalfOut | null): Tensor {
  const width = halfWidth('swiglu', gateUp);
  const out = gpu.tensor([...gateUp.shape.slice(0, -1), width], 'f32', 'swiglu');
  if (half) checkHalfOut('swiglu', out, half);
  gpu.dispatch(SWIGLU, {
    params: { WG, BACKWARD: false, SIDE_BY_SIDE: true, HALF_OUT: Boolean(half) },
    uniforms: { n: out.size, slot: half?.slot ?? 0, slot2: 0, width },
    bindings: { gateUp, y: out, y16: half?.copy, overflow: half?.counts },
    workgroups: gpu.grid1D(Math.ceil(out.size / WG)),
    label: 'swiglu',
  });
  return out;
}

/**
 * dgate and dup side by side in one [T, 2*width] tensor (the operand of the stacked products), from
 * dy [T, width] and gate and up side by side; with `half`, its f16 copy too.
 */
export function swigluSideBySideBackward(gpu: Gpu, dy: Tensor, gateUp: Tensor, half?: HalfOut | null): Tensor {
  const width = halfWidth('swigluBackward', gateUp);
  if (dy.size * 2 !== gateUp.size) throw new Error(`swigluBackward: dy [${dy.shape}] is not half of gate and up [${gateUp.shape}]`);
  const dGateUp = gpu.tensor(gateUp.shape, 'f32', 'swiglu.dgateup');
  if (half) checkHalfOut('swigluBackward', dGateUp, half);
  gpu.dispatch(SWIGLU, {
    params: { WG, BACKWARD: true, SIDE_BY_SIDE: true, HALF_OUT: Boolean(half) },
    uniforms: { n: dy.size, slot: half?.slot ?? 0, slot2: 0, width },
    bindings: { dy, gateUp, dGateUp, dGateUp16: half?.copy, overflow: half?.counts },
    workgroups: gpu.grid1D(Math.ceil(dy.size / WG)),
    label: 'swiglu.backward',
  });
  return dGateUp;
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

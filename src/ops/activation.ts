// Activation functions of the MLP, forward and backward: SwiGLU (LLaMA), ReLU (OPT) and the exact
// erf form of GELU (torch nn.GELU default, not the tanh approximation).
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';

const WG = 256;

function sameSize(op: string, ...ts: Tensor[]): number {
  const n = ts[0].size;
  for (const t of ts) if (t.size !== n) throw new Error(`${op}: sizes ${ts.map((u) => u.size).join(', ')} differ`);
  return n;
}

function launch(gpu: Gpu, shader: string, params: Record<string, boolean>, n: number, buffers: Tensor[], label: string): void {
  gpu.dispatch({
    shader,
    params: { WG, ...params },
    uniforms: [n],
    buffers,
    workgroups: gpu.grid1D(Math.ceil(n / WG)),
    label,
  });
}

/** silu(gate) * up. */
export function swiglu(gpu: Gpu, gate: Tensor, up: Tensor, out = gpu.tensor(gate.shape, 'f32', 'swiglu')): Tensor {
  const n = sameSize('swiglu', gate, up, out);
  launch(gpu, 'activation-swiglu.wgsl', { BACKWARD: false }, n, [gate, up, out], 'swiglu');
  return out;
}

export function swigluBackward(gpu: Gpu, dy: Tensor, gate: Tensor, up: Tensor): { dgate: Tensor; dup: Tensor } {
  const n = sameSize('swigluBackward', dy, gate, up);
  const dgate = gpu.tensor(gate.shape, 'f32', 'swiglu.dgate');
  const dup = gpu.tensor(up.shape, 'f32', 'swiglu.dup');
  launch(gpu, 'activation-swiglu.wgsl', { BACKWARD: true }, n, [dy, gate, up, dgate, dup], 'swiglu.backward');
  return { dgate, dup };
}

export function relu(gpu: Gpu, x: Tensor, out = gpu.tensor(x.shape, 'f32', 'relu')): Tensor {
  const n = sameSize('relu', x, out);
  launch(gpu, 'activation-unary.wgsl', { GELU: false, BACKWARD: false }, n, [x, out], 'relu');
  return out;
}

/** dx = dy where x > 0, else 0 (0 at x = 0, as torch). */
export function reluBackward(gpu: Gpu, dy: Tensor, x: Tensor): Tensor {
  const n = sameSize('reluBackward', dy, x);
  const dx = gpu.tensor(x.shape, 'f32', 'relu.dx');
  launch(gpu, 'activation-unary.wgsl', { GELU: false, BACKWARD: true }, n, [dy, x, dx], 'relu.backward');
  return dx;
}

/** x * Phi(x) with the exact normal CDF. */
export function gelu(gpu: Gpu, x: Tensor, out = gpu.tensor(x.shape, 'f32', 'gelu')): Tensor {
  const n = sameSize('gelu', x, out);
  launch(gpu, 'activation-unary.wgsl', { GELU: true, BACKWARD: false }, n, [x, out], 'gelu');
  return out;
}

export function geluBackward(gpu: Gpu, dy: Tensor, x: Tensor): Tensor {
  const n = sameSize('geluBackward', dy, x);
  const dx = gpu.tensor(x.shape, 'f32', 'gelu.dx');
  launch(gpu, 'activation-unary.wgsl', { GELU: true, BACKWARD: true }, n, [dy, x, dx], 'gelu.backward');
  return dx;
}

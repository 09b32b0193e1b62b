// Typed wrappers of GPTQ's kernels: the Hessian, the upper Cholesky factor of its inverse, and the
// column loop with its lazy batch updates (shaders/gptq-*.wgsl).
//
// Where the factor is computed, and in what precision: on the GPU, in f32, by a blocked Cholesky
// (32x32 blocks) of the reversed Hessian and a blocked triangular inverse. With J the reversal,
// J·H·J = L·Lᵀ gives H = (J·L·J)(J·L·J)ᵀ, so H⁻¹ = Uᵀ·U with U = J·L⁻¹·J upper: one Cholesky and
// one triangular inverse (2/3·n³ flops) where AutoGPTQ runs a Cholesky, cholesky_inverse and a
// second Cholesky, and no explicit inverse is ever formed. The reference does the same arithmetic
// in f32 (torch fp32 on the GPU). A float64 CPU path would need ~1.8e11 flops for the 8192-wide
// down projection of a 1B model: minutes of JavaScript per layer against milliseconds here.
// With 1% dampening the damped Hessian's condition number is at most ~100·n; a pivot that still
// comes out non-positive is reported (status) and the caller retries with more dampening.
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';
import { matmul } from './matmul';
import type { QuantSpec } from '../core/quant-spec';

const NB = 32;
const WG = 256;

const DIAG = defineKernel({ shader: 'gptq-diag', uniforms: { n: 'u32' }, bindings: { h: 'read', diag: 'write' } });
const HESSIAN_PREPARE = defineKernel({
  shader: 'gptq-hessian-prepare',
  uniforms: { n: 'u32', bigN: 'u32', damp: 'f32' },
  bindings: { h: 'read', perm: 'read', a: 'write' },
});
const CHOL_DIAG = defineKernel({
  shader: 'gptq-chol-diag',
  uniforms: { n: 'u32', k0: 'u32', block: 'u32' },
  bindings: { a: 'write', invDiag: 'write', status: 'write' },
});
const CHOL_PANEL = defineKernel({
  shader: 'gptq-chol-panel',
  uniforms: { n: 'u32', k0: 'u32', block: 'u32', rows: 'u32' },
  bindings: { a: 'write', invDiag: 'read' },
});
const CHOL_UPDATE = defineKernel({ shader: 'gptq-chol-update', uniforms: { n: 'u32', k0: 'u32', tiles: 'u32' }, bindings: { a: 'write' } });
const TRINV = defineKernel({ shader: 'gptq-trinv', uniforms: { n: 'u32', bi: 'u32' }, bindings: { a: 'read', invDiag: 'read', m: 'write' } });
const REVERSE = defineKernel({ shader: 'gptq-reverse', uniforms: { n: 'u32', bigN: 'u32' }, bindings: { m: 'read', u: 'write' } });
const WEIGHTS_PREPARE = defineKernel({
  shader: 'gptq-weights-prepare',
  uniforms: { rows: 'u32', cols: 'u32' },
  bindings: { w: 'read', perm: 'read', dead: 'read', out: 'write' },
});
const COLUMNS = defineKernel({
  shader: 'gptq-columns',
  uniforms: { rows: 'u32', cols: 'u32', i1: 'u32', count: 'u32', groupSize: 'u32', nGroups: 'u32', bits: 'u32', symmetric: 'u32' },
  bindings: { w: 'read', u: 'read', perm: 'read', codes: 'write', scales: 'write', zeros: 'write', err: 'write', losses: 'write' },
});
const TRAILING = defineKernel({
  shader: 'gptq-trailing',
  uniforms: { rows: 'u32', cols: 'u32', i1: 'u32', count: 'u32', i2: 'u32' },
  bindings: { err: 'read', u: 'read', w: 'write' },
});

/** H = 2·XᵀX / tokens for the inputs X [tokens, cols] of a Linear. */
export function hessian(gpu: Gpu, x: Tensor): Tensor {
  const [tokens, cols] = x.shape;
  const h = gpu.tensor([cols, cols], 'f32', 'gptq.hessian');
  return matmul(gpu, x, x, { transA: true, alpha: 2 / tokens, out: h });
}

export function diagonal(gpu: Gpu, h: Tensor): Tensor {
  const n = h.shape[0];
  const d = gpu.tensor([n], 'f32', 'gptq.diag');
  gpu.dispatch(DIAG, { params: { WG }, uniforms: { n }, bindings: { h, diag: d }, workgroups: gpu.grid1D(Math.ceil(n / WG)), label: 'gptq.diag' });
  return d;
}

/**
 * U upper [n, n] with (H')⁻¹ = Uᵀ·U, where H' is h with its columns in `perm` order, a zero
 * diagonal set to 1 and `damp` added to the diagonal. `status` [1] becomes non-zero when a pivot
 * was not positive (the factor is then unusable).
 */
export function upperCholeskyOfInverse(gpu: Gpu, h: Tensor, perm: Tensor, damp: number): { u: Tensor; status: Tensor } {
  const n = h.shape[0];
  const N = Math.ceil(n / NB) * NB;
  const blocks = N / NB;
  const a = gpu.tensor([N, N], 'f32', 'gptq.chol');
  gpu.dispatch(HESSIAN_PREPARE, {
    params: { WG },
    uniforms: { n, bigN: N, damp },
    bindings: { h, perm, a },
    workgroups: gpu.grid1D(Math.ceil((N * N) / WG)),
    label: 'gptq.hessian-prepare',
  });
  const invDiag = gpu.tensor([blocks, NB, NB], 'f32', 'gptq.inv-diag');
  const status = gpu.zeros([1], 'gptq.status', 'u32');
  for (let b = 0; b < blocks; b++) {
    const k0 = b * NB;
    gpu.dispatch(CHOL_DIAG, { uniforms: { n: N, k0, block: b }, bindings: { a, invDiag, status }, workgroups: [1], label: 'gptq.chol-diag' });
    const rows = N - k0 - NB;
    if (!rows) continue;
    gpu.dispatch(CHOL_PANEL, {
      uniforms: { n: N, k0, block: b, rows },
      bindings: { a, invDiag },
      workgroups: gpu.grid1D(Math.ceil(rows / 64)),
      label: 'gptq.chol-panel',
    });
    const tiles = rows / NB;
    gpu.dispatch(CHOL_UPDATE, { uniforms: { n: N, k0, tiles }, bindings: { a }, workgroups: gpu.grid1D((tiles * (tiles + 1)) / 2), label: 'gptq.chol-update' });
  }
  const m = gpu.tensor([N, N], 'f32', 'gptq.chol-inverse');
  for (let bi = 0; bi < blocks; bi++) {
    gpu.dispatch(TRINV, { uniforms: { n: N, bi }, bindings: { a, invDiag, m }, workgroups: [bi + 1], label: 'gptq.trinv' });
  }
  a.release();
  invDiag.release();
  const u = gpu.tensor([n, n], 'f32', 'gptq.u');
  gpu.dispatch(REVERSE, {
    params: { WG },
    uniforms: { n, bigN: N },
    bindings: { m, u },
    workgroups: gpu.grid1D(Math.ceil((n * n) / WG)),
    label: 'gptq.reverse',
  });
  m.release();
  return { u, status };
}

/** The working weights: columns in `perm` order, dead columns (dead[c] ≠ 0, original index) zeroed. */
export function prepareWeights(gpu: Gpu, w: Tensor, perm: Tensor, dead: Tensor): Tensor {
  const [rows, cols] = w.shape;
  const out = gpu.tensor([rows, cols], 'f32', 'gptq.w');
  gpu.dispatch(WEIGHTS_PREPARE, {
    params: { WG },
    uniforms: { rows, cols },
    bindings: { w, perm, dead, out },
    workgroups: gpu.grid1D(Math.ceil((rows * cols) / WG)),
    label: 'gptq.weights-prepare',
  });
  return out;
}

export interface GptqLoopOutputs {
  /** [rows, cols] u32, original column order (dequantizeWeight gives the weights, with g_idx under act-order). */
  codes: Tensor;
  /** [rows, nGroups]; per-channel: filled in by the caller before the loop. */
  scales: Tensor;
  zeros: Tensor;
  /** [rows], AutoGPTQ's loss estimate Σ err²/2 (accumulated: zero it first). */
  losses: Tensor;
}

/**
 * The column loop over every lazy batch of `blockSize` columns and the trailing update after each.
 * `w` (working weights, permuted) is consumed: it holds the updates when this returns.
 */
export function gptqColumns(gpu: Gpu, w: Tensor, u: Tensor, perm: Tensor, spec: QuantSpec, out: GptqLoopOutputs, blockSize: number): void {
  const [rows, cols] = w.shape;
  const perChannel = !(spec.groupSize > 0) || spec.groupSize >= cols;
  const g = perChannel ? cols : spec.groupSize;
  const nGroups = Math.ceil(cols / g);
  const err = gpu.tensor([rows, blockSize], 'f32', 'gptq.err');
  const CWG = 64;
  for (let i1 = 0; i1 < cols; i1 += blockSize) {
    const i2 = Math.min(i1 + blockSize, cols);
    const count = i2 - i1;
    gpu.dispatch(COLUMNS, {
      params: { WG: CWG, BS: blockSize, PER_CHANNEL: perChannel },
      uniforms: { rows, cols, i1, count, groupSize: g, nGroups, bits: spec.bits, symmetric: spec.symmetric ? 1 : 0 },
      bindings: { w, u, perm, codes: out.codes, scales: out.scales, zeros: out.zeros, err, losses: out.losses },
      workgroups: gpu.grid1D(Math.ceil(rows / CWG)),
      label: 'gptq.columns',
    });
    if (i2 < cols) {
      gpu.dispatch(TRAILING, {
        params: { BS: blockSize },
        uniforms: { rows, cols, i1, count, i2 },
        bindings: { err, u, w },
        workgroups: [Math.ceil((cols - i2) / 64), Math.ceil(rows / 64)],
        label: 'gptq.trailing',
      });
    }
  }
  err.release();
}

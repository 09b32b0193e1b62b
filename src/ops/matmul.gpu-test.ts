// GPU tests of src/ops/matmul.ts against the float64 twin, on sizes that are not multiples of any
// tile (and on multiples of 4 and not, which switches between vec4 and scalar access).
import type { Gpu } from '../gpu/gpu';
import { matmul, MATMUL_TILES, tileFits, type MatmulTile } from './matmul';
import { matmulRef } from '../reference/matmul';
import { randn } from '../reference/rng';
import { assertClose } from '../reference/compare';

const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 5],
  [65, 33, 129],
  [130, 64, 172],
];

function tiles(gpu: Gpu): [string, MatmulTile][] {
  return Object.entries(MATMUL_TILES).filter(([, t]) => tileFits(gpu, t));
}

/** Checks one form (transA/transB) on every size with the tile chosen by shape, and on the odd
 * sizes with every tile that fits the device (SwiftShader compiles slowly: few pipelines). */
async function checkForm(gpu: Gpu, transA: boolean, transB: boolean, seed: number): Promise<void> {
  for (const [m, k, n] of SIZES) {
    const a = randn(m * k, seed + m),
      b = randn(k * n, seed + n + 1);
    const ta = gpu.upload(a, transA ? [k, m] : [m, k]);
    const tb = gpu.upload(b, transB ? [n, k] : [k, n]);
    const want = matmulRef(a, b, { m, k, n }, { transA, transB });
    const all: [string, MatmulTile | undefined][] = [['auto', undefined], ...(m > 60 ? tiles(gpu) : [])];
    for (const [name, tile] of all) {
      const out = matmul(gpu, ta, tb, { transA, transB, tile });
      assertClose(`${m}x${k}x${n} tA=${transA} tB=${transB} tile=${name}`, await out.readF32(), want, 1e-5);
      out.release();
    }
    ta.release();
    tb.release();
  }
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'y = x·Wᵀ (transB)'(gpu) {
    await checkForm(gpu, false, true, 100);
  },

  async 'dx = dy·W (plain)'(gpu) {
    await checkForm(gpu, false, false, 200);
  },

  async 'dW = dyᵀ·x (transA)'(gpu) {
    await checkForm(gpu, true, false, 300);
  },

  async 'both transposed'(gpu) {
    const [m, k, n] = [33, 20, 9];
    const a = randn(m * k, 1),
      b = randn(k * n, 2);
    const out = matmul(gpu, gpu.upload(a, [k, m]), gpu.upload(b, [n, k]), { transA: true, transB: true });
    assertClose('tA tB', await out.readF32(), matmulRef(a, b, { m, k, n }, { transA: true, transB: true }), 1e-5);
  },

  async 'batched, and b broadcast over the batch'(gpu) {
    for (const [batch, m, k, n] of [
      [3, 7, 13, 5],
      [2, 65, 36, 130],
    ]) {
      for (const [transA, transB] of [
        [false, false],
        [false, true],
        [true, false],
      ]) {
        const a = randn(batch * m * k, m + k),
          b = randn(batch * k * n, n),
          b1 = randn(k * n, n + 7);
        const ta = gpu.upload(a, transA ? [batch, k, m] : [batch, m, k]);
        const tb = gpu.upload(b, transB ? [batch, n, k] : [batch, k, n]);
        const tb1 = gpu.upload(b1, transB ? [n, k] : [k, n]);
        const tag = `batch ${batch}x${m}x${k}x${n} tA=${transA} tB=${transB}`;
        const out = matmul(gpu, ta, tb, { transA, transB });
        assertClose(tag, await out.readF32(), matmulRef(a, b, { batch, m, k, n }, { transA, transB }), 1e-5);
        const outB = matmul(gpu, ta, tb1, { transA, transB, tile: MATMUL_TILES.small });
        if (outB.shape.join() !== [batch, m, n].join()) throw new Error(`${tag}: out shape [${outB.shape}]`);
        assertClose(`${tag} broadcast`, await outB.readF32(), matmulRef(a, b1, { batch, m, k, n }, { transA, transB }), 1e-5);
        for (const t of [ta, tb, tb1, out, outB]) t.release();
      }
    }
  },

  async 'split-K: all forms, bias, alpha, accumulate, batch'(gpu) {
    const forms: [boolean, boolean][] = [
      [false, true],
      [false, false],
      [true, false],
    ];
    const cases: [number, number, number, number, number][] = [
      // batch, m, k, n, splitK (0: chosen by shape; these small outputs over long K do split)
      [1, 7, 300, 5, 3],
      [1, 65, 257, 33, 2],
      [1, 9, 600, 10, 0],
      [2, 13, 520, 6, 5],
    ];
    for (const [batch, m, k, n, splitK] of cases) {
      for (const [transA, transB] of forms) {
        const tag = `${batch}x${m}x${k}x${n} splitK=${splitK || 'auto'} tA=${transA} tB=${transB}`;
        const a = randn(batch * m * k, m + k),
          b = randn(k * n, n + 3),
          bias = randn(n, 5),
          prev = randn(batch * m * n, 6);
        const ta = gpu.upload(a, transA ? [batch, k, m] : [batch, m, k]);
        const tb = gpu.upload(b, transB ? [n, k] : [k, n]); // shared by the batch
        const out = gpu.upload(prev, [batch, m, n]);
        const before = gpu.dispatchCount;
        matmul(gpu, ta, tb, { transA, transB, bias: gpu.upload(bias, [n]), accumulate: true, out, alpha: 1.5, splitK: splitK || undefined });
        if (gpu.dispatchCount - before !== 2) throw new Error(`${tag}: expected a split-K matmul (2 dispatches), got ${gpu.dispatchCount - before}`);
        const want = matmulRef(a, b, { batch, m, k, n }, { transA, transB, bias, alpha: 1.5, accumulateInto: prev });
        assertClose(tag, await out.readF32(), want, 1e-5);
        const plain = matmul(gpu, ta, tb, { transA, transB, splitK: splitK || undefined, tile: MATMUL_TILES.medium });
        assertClose(`${tag} plain`, await plain.readF32(), matmulRef(a, b, { batch, m, k, n }, { transA, transB }), 1e-5);
        for (const t of [ta, tb, out, plain]) t.release();
      }
    }
  },

  async 'bias, alpha and accumulate'(gpu) {
    for (const [m, k, n] of [
      [7, 13, 5],
      [130, 64, 172],
      [65, 33, 129],
    ]) {
      for (const [name, tile] of [
        ['auto', undefined],
        ['large', MATMUL_TILES.large],
      ] as const) {
        const x = randn(m * k, 11),
          w = randn(n * k, 12),
          bias = randn(n, 13),
          prev = randn(m * n, 14);
        const tag = `${m}x${k}x${n} tile=${name}`;
        const tx = gpu.upload(x, [m, k]),
          tw = gpu.upload(w, [n, k]),
          tbias = gpu.upload(bias, [n]);
        // forward with bias: y = x·Wᵀ + bias
        const y = matmul(gpu, tx, tw, { transB: true, bias: tbias, tile });
        assertClose(`${tag} bias`, await y.readF32(), matmulRef(x, w, { m, k, n }, { transB: true, bias }), 1e-5);
        // gradient accumulation: out = prev + alpha·x·Wᵀ + bias
        const out = gpu.upload(prev, [m, n]);
        matmul(gpu, tx, tw, { transB: true, bias: tbias, accumulate: true, out, alpha: -0.75, tile });
        const want = matmulRef(x, w, { m, k, n }, { transB: true, bias, alpha: -0.75, accumulateInto: prev });
        assertClose(`${tag} accumulate`, await out.readF32(), want, 1e-5);
        for (const t of [tx, tw, tbias, y, out]) t.release();
      }
    }
  },
};

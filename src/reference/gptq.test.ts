import { describe, expect, it } from 'vitest';
import { gptqRef, hessianRef, outputErrorRef, upperCholeskyOfInverseRef } from './gptq';
import { quantizeRef } from './quantize';
import { randn } from './rng';
import type { QuantSpec } from '../core/quant-spec';

/** X [tokens, cols] with correlated columns (a random mixing of independent ones), as activations are. */
function correlated(tokens: number, cols: number, seed: number): Float64Array {
  const z = randn(tokens * cols, seed);
  const m = randn(cols * cols, seed + 1, 1 / Math.sqrt(cols));
  const x = new Float64Array(tokens * cols);
  for (let t = 0; t < tokens; t++)
    for (let j = 0; j < cols; j++) {
      let s = z[t * cols + j] * 0.3;
      for (let k = 0; k < cols; k++) s += z[t * cols + k] * m[k * cols + j];
      x[t * cols + j] = s * (1 + (j % 5)); // uneven channel magnitudes
    }
  return x;
}

describe('float64 GPTQ twin', () => {
  it('H = 2·XᵀX/tokens', () => {
    // X = [[1, 2], [3, 0]]: XᵀX = [[10, 2], [2, 4]], times 2/2
    expect([...hessianRef([1, 2, 3, 0], 2, 2)]).toEqual([10, 2, 2, 4]);
  });

  it('the upper Cholesky factor of H⁻¹: Uᵀ·U·H = I', () => {
    const n = 9;
    const h = hessianRef(correlated(40, n, 3), 40, n);
    const u = upperCholeskyOfInverseRef(h, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(u[i * n + j]).toBe(0);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) {
          let uu = 0; // (UᵀU)[i,k]
          for (let t = 0; t < n; t++) uu += u[t * n + i] * u[t * n + k];
          s += uu * h[k * n + j];
        }
        expect(s).toBeCloseTo(i === j ? 1 : 0, 9);
      }
  });

  it('with H = identity it is round-to-nearest (no error to feed back), every quantizer', () => {
    const rows = 5,
      cols = 70;
    const w = randn(rows * cols, 4);
    const h = new Float64Array(cols * cols);
    for (let i = 0; i < cols; i++) h[i * cols + i] = 1;
    const specs: QuantSpec[] = [
      { bits: 3, groupSize: 32, symmetric: false }, // ragged last group of 6
      { bits: 4, groupSize: 0, symmetric: false },
      { bits: 2, groupSize: 16, symmetric: true },
    ];
    for (const spec of specs) {
      for (const blockSize of [128, 16]) {
        const g = gptqRef(w, rows, cols, h, spec, { blockSize });
        const r = quantizeRef(w, rows, cols, spec);
        expect([...g.codes]).toEqual([...r.codes]);
        expect([...g.scales]).toEqual([...r.scales]);
        expect([...g.zeros]).toEqual([...r.zeros]);
        expect([...g.deq]).toEqual([...r.deq]);
      }
    }
  });

  it('two columns by hand: the error of column 0 moves column 1 by (w0 − q0)·b/c', () => {
    // 3-bit symmetric per-channel: s = 0.9/3 = 0.3, codes q + 4.
    // H = [[4, −1.8], [−1.8, 1]], damp = 1% of the mean diagonal = 0.025: a' = 4.025, c' = 1.025.
    // Column 0: 0.7/0.3 = 2.33 -> 2 -> 0.6. U = chol_upper(H'⁻¹): U01/U00 = H'⁻¹01/H'⁻¹00 = −b/c',
    // so w1' = w1 − (w0 − q0)·U01/U00 = 0.9 + 0.1·(−1.8/1.025) = 0.72439 -> 2.41 -> 2 -> 0.6
    // (round-to-nearest keeps 0.9: code 3).
    const spec: QuantSpec = { bits: 3, groupSize: 0, symmetric: true };
    const h = [4, -1.8, -1.8, 1];
    const g = gptqRef([0.7, 0.9], 1, 2, h, spec);
    expect(g.scales[0]).toBeCloseTo(0.3, 14);
    expect(g.zeros[0]).toBe(4);
    expect([...g.codes]).toEqual([6, 6]);
    expect(g.deq[0]).toBeCloseTo(0.6, 14);
    expect(g.deq[1]).toBeCloseTo(0.6, 14);
    expect(quantizeRef([0.7, 0.9], 1, 2, spec).codes[1]).toBe(7);
    // Losses: (w − q)²/U[i,i]²/2 with U00² = H'⁻¹00 = c'/det' and U11² = 1/c' (the Schur complement).
    const det = 4.025 * 1.025 - 1.8 * 1.8;
    const w1 = 0.9 - (0.1 * 1.8) / 1.025;
    expect(g.losses[0]).toBeCloseTo(0.01 / (2 * (1.025 / det)) + ((w1 - 0.6) ** 2 * 1.025) / 2, 12);
    // and the output error ΔHΔᵀ (undamped H) is smaller than RTN's: 0.022 against 0.04
    expect(outputErrorRef([0.7, 0.9], g.deq, 1, 2, h)).toBeCloseTo(0.022, 12);
    expect(outputErrorRef([0.7, 0.9], [0.6, 0.9], 1, 2, h)).toBeCloseTo(0.04, 12);
  });

  it('error feedback lowers ‖(W − Q)·Xᵀ‖ against round-to-nearest on correlated inputs', () => {
    const rows = 24,
      cols = 96,
      tokens = 300;
    const x = correlated(tokens, cols, 11);
    const h = hessianRef(x, tokens, cols);
    const w = randn(rows * cols, 12);
    for (const spec of [
      { bits: 3, groupSize: 32, symmetric: false },
      { bits: 4, groupSize: 0, symmetric: false },
      { bits: 2, groupSize: 32, symmetric: true },
    ] as QuantSpec[]) {
      const rtn = outputErrorRef(w, quantizeRef(w, rows, cols, spec).deq, rows, cols, h);
      for (const actOrder of [false, true]) {
        // At 2 bits with 32-column batches (each group's range taken after all earlier feedback)
        // the grown ranges can cost more than the feedback gains: only the default is held there.
        for (const blockSize of spec.bits > 2 ? [128, 32] : [128]) {
          const e = outputErrorRef(w, gptqRef(w, rows, cols, h, spec, { actOrder, blockSize }).deq, rows, cols, h);
          expect(e).toBeLessThan(0.8 * rtn);
        }
      }
    }
  });

  it('lazy batches change nothing when groups start at block boundaries (per-channel)', () => {
    const rows = 6,
      cols = 50,
      tokens = 120;
    const h = hessianRef(correlated(tokens, cols, 21), tokens, cols);
    const w = randn(rows * cols, 22);
    const spec: QuantSpec = { bits: 4, groupSize: 0, symmetric: false };
    const a = gptqRef(w, rows, cols, h, spec, { blockSize: 128 });
    const b = gptqRef(w, rows, cols, h, spec, { blockSize: 7 });
    expect([...b.codes]).toEqual([...a.codes]);
    for (let i = 0; i < a.deq.length; i++) expect(b.deq[i]).toBeCloseTo(a.deq[i], 10);
  });

  it('act-order: groups follow descending diagonal, g_idx names them, codes stay in the original order', () => {
    const rows = 4,
      cols = 40,
      tokens = 80;
    const h = hessianRef(correlated(tokens, cols, 31), tokens, cols);
    const w = randn(rows * cols, 32);
    const spec: QuantSpec = { bits: 4, groupSize: 16, symmetric: false };
    const g = gptqRef(w, rows, cols, h, spec, { actOrder: true });
    const diag = Array.from({ length: cols }, (_, i) => h[i * cols + i]);
    for (let k = 1; k < cols; k++) expect(diag[g.perm[k - 1]]).toBeGreaterThanOrEqual(diag[g.perm[k]]);
    const sizes = [0, 0, 0];
    for (let c = 0; c < cols; c++) sizes[g.gIdx[c]]++;
    expect(sizes).toEqual([16, 16, 8]);
    for (let c = 0; c < cols; c++) expect(g.gIdx[g.perm[c]]).toBe(Math.floor(c / 16));
    // Every stored weight is its code dequantized with its g_idx group's scale and zero point.
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        const k = r * 3 + g.gIdx[c];
        expect(g.deq[r * cols + c]).toBeCloseTo((g.codes[r * cols + c] - g.zeros[k]) * g.scales[k], 12);
      }
  });

  it("a group's range comes from W at its first column: earlier batches' updates, not the same batch's (static_groups false)", () => {
    // AutoGPTQ: find_params(W[:, i:i+g]) where W holds the lazy updates of earlier batches only; the
    // running W1 of the batch (which the codes are taken from) is not what the range is read from.
    const rows = 5,
      cols = 64,
      tokens = 200;
    const h = hessianRef(correlated(tokens, cols, 51), tokens, cols);
    const w = randn(rows * cols, 52);
    const spec: QuantSpec = { bits: 3, groupSize: 16, symmetric: false };
    const rtn = quantizeRef(w, rows, cols, spec);
    // One batch of 64: every group's range is the original weights', as round-to-nearest's.
    const one = gptqRef(w, rows, cols, h, spec, { blockSize: 64 });
    expect([...one.scales]).toEqual([...rtn.scales]);
    expect([...one.zeros]).toEqual([...rtn.zeros]);
    // Batches of 16: groups 1..3 start a batch, so their ranges hold every earlier column's feedback.
    const each = gptqRef(w, rows, cols, h, spec, { blockSize: 16 });
    for (let r = 0; r < rows; r++) {
      expect(each.scales[r * 4]).toBe(rtn.scales[r * 4]);
      for (let k = 1; k < 4; k++) expect(each.scales[r * 4 + k]).not.toBe(rtn.scales[r * 4 + k]);
    }
    // Batches of 32: group 1 (columns 16..31) starts inside the first batch and keeps the original
    // range; group 2 starts the second batch and sees the first batch's feedback.
    const two = gptqRef(w, rows, cols, h, spec, { blockSize: 32 });
    for (let r = 0; r < rows; r++) {
      expect(two.scales[r * 4 + 1]).toBe(rtn.scales[r * 4 + 1]);
      expect(two.scales[r * 4 + 2]).not.toBe(rtn.scales[r * 4 + 2]);
    }
  });

  it('dead columns (zero diagonal) are zeroed and quantized as zero', () => {
    const rows = 3,
      cols = 8,
      tokens = 20;
    const x = correlated(tokens, cols, 41);
    for (let t = 0; t < tokens; t++) x[t * cols + 5] = 0;
    const h = hessianRef(x, tokens, cols);
    const w = randn(rows * cols, 42);
    const g = gptqRef(w, rows, cols, h, { bits: 4, groupSize: 4, symmetric: false });
    expect(g.dead).toEqual([5]);
    for (let r = 0; r < rows; r++) expect(Math.abs(g.deq[r * cols + 5])).toBeLessThan(g.scales[r * 2 + 1] / 2 + 1e-12);
    expect(g.deq.every(Number.isFinite)).toBe(true);
  });
});

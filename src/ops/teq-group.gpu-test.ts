// TEQ's per-group kernels (members sharing α, packed α and contributions) against the float64
// twins of the per-Linear ones, and the effective weights against the quantizer kernel itself.
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { teqColSum, teqColSumTable, teqEffectiveGroup, teqGradGroup, type TeqColSumEntry } from './teq';
import { quantizeWeight } from './quantize';
import { teqEffectiveWeightRef, teqGradContribRef } from '../reference/teq';
import { randn, randu } from '../reference/rng';
import { assertClose, assertSameBits } from '../reference/compare';
import type { QuantSpec } from '../core/quant-spec';

interface GroupCase {
  rows: number[];
  cols: number;
  spec: QuantSpec;
}

const GROUPS: GroupCase[] = [
  { rows: [5, 3, 7], cols: 70, spec: { bits: 3, groupSize: 32, symmetric: false } }, // ragged last group
  { rows: [4, 6], cols: 48, spec: { bits: 2, groupSize: 0, symmetric: false } }, // per channel
  { rows: [9], cols: 40, spec: { bits: 4, groupSize: 16, symmetric: true } },
];

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'column sums over rows in tiles: every column summed in row order in f32 (the bits of a sequential sum)'(gpu) {
    // two groups of one buffer: 200 rows (three whole tiles of 64 and a part) x 40 columns (a
    // workgroup of 32 and a part), and 70 x 100 (one whole tile, a part; columns 32+32+32+4)
    const entries: TeqColSumEntry[] = [
      { contribOffset: 0, rows: 200, cols: 40, outOffset: 0 },
      { contribOffset: 200 * 40, rows: 70, cols: 100, outOffset: 40 },
    ];
    const values = Float32Array.from(randn(200 * 40 + 70 * 100, 21));
    const want = new Float32Array(140);
    for (const e of entries)
      for (let c = 0; c < e.cols; c++) {
        let sum = 0;
        for (let r = 0; r < e.rows; r++) sum = Math.fround(sum + values[e.contribOffset + r * e.cols + c]);
        want[e.outOffset + c] = sum;
      }
    const tableValues = teqColSumTable(entries);
    const table = gpu.upload(tableValues, [tableValues.length], 'table');
    const contrib = gpu.upload(values, [values.length], 'contrib');
    const grad = gpu.zeros([140], 'grad');
    teqColSum(gpu, table, contrib, grad);
    assertSameBits('column sums', await grad.readF32(), want);
    [table, contrib, grad].forEach((t) => t.release());
  },
  async 'four columns a load (aligned offsets) give the same bits as one a load'(gpu) {
    const rows = [5, 3, 7];
    const cols = 64;
    const stacked = rows.reduce((a, b) => a + b, 0);
    for (const spec of [
      { bits: 3, groupSize: 32, symmetric: false },
      { bits: 4, groupSize: 16, symmetric: true },
      { bits: 2, groupSize: 0, symmetric: false },
    ] satisfies QuantSpec[]) {
      for (const estimator of ['ste-round', 'ste-full'] as const) {
        const tag = `b${spec.bits} g${spec.groupSize}${spec.symmetric ? ' sym' : ''} ${estimator}`;
        const a = randu(cols, spec.bits, 0.5, 1.5);
        const ws = rows.map((r, m) => gpu.upload(randn(r * cols, 300 + m), [r, cols], 'w'));
        const ds = rows.map((r, m) => gpu.upload(randn(r * cols, 400 + m), [r, cols], 'dW'));
        // α at offset 4 (VEC4) and at offset 5 (one a load) of the same buffer; contributions likewise
        const alpha = new Float32Array(4 + cols + 1 + cols);
        alpha.set(a, 4);
        alpha.set(a, 5 + cols);
        const alphaT = gpu.upload(alpha, [alpha.length], 'alpha');
        const run = async (alphaOffset: number, contribOffset: number) => {
          const outs = rows.map((r) => gpu.tensor([r, cols], 'f32', 'eff'));
          const contrib = gpu.zeros([contribOffset + stacked * cols], 'contrib');
          teqEffectiveGroup(gpu, ws, alphaT, alphaOffset, outs, spec);
          teqGradGroup(gpu, ws, ds, alphaT, alphaOffset, contrib, contribOffset, spec, estimator);
          const eff = await Promise.all(outs.map((o) => o.readF32()));
          const c = (await contrib.readF32()).slice(contribOffset);
          [...outs, contrib].forEach((t) => t.release());
          return { eff, c };
        };
        const wide = await run(4, 8);
        const narrow = await run(5 + cols, 9);
        wide.eff.forEach((e, m) => assertSameBits(`${tag} effective weight ${m}`, e, narrow.eff[m]));
        assertSameBits(`${tag} contributions`, wide.c, narrow.c);
        [...ws, ...ds, alphaT].forEach((t) => t.release());
      }
    }
  },

  async 'effective weights, dα contributions and column sums of packed groups match the twins'(gpu) {
    for (const full of [false, true]) {
      // Every group's α in one buffer and every group's contributions in another, at offsets.
      const alphaOffsets: number[] = [];
      const contribOffsets: number[] = [];
      let alphaLen = 3,
        contribLen = 11;
      for (const g of GROUPS) {
        alphaOffsets.push(alphaLen);
        alphaLen += g.cols + 2;
        contribOffsets.push(contribLen);
        contribLen += g.rows.reduce((a, b) => a + b, 0) * g.cols + 1;
      }
      const alpha = randu(alphaLen, full ? 7 : 8, 0.5, 1.5);
      const alphaT = gpu.upload(alpha, [alphaLen], 'alpha');
      const contrib = gpu.zeros([contribLen], 'contrib');
      const entries: TeqColSumEntry[] = [];
      const wantGrad = new Float64Array(alphaLen);
      const temps: Tensor[] = [alphaT, contrib];
      for (const [gi, { rows, cols, spec }] of GROUPS.entries()) {
        const tag = `${rows.join('+')}x${cols} b${spec.bits} g${spec.groupSize}${spec.symmetric ? ' sym' : ''} ${full ? 'full' : 'round'}`;
        const a = alpha.subarray(alphaOffsets[gi], alphaOffsets[gi] + cols);
        const aT = gpu.upload(Float32Array.from(a), [cols], 'alpha slice');
        const ws = rows.map((r, m) => randn(r * cols, 100 * gi + m));
        const ds = rows.map((r, m) => randn(r * cols, 200 * gi + m));
        const wT = ws.map((w, m) => gpu.upload(w, [rows[m], cols], 'w'));
        const dT = ds.map((d, m) => gpu.upload(d, [rows[m], cols], 'dW'));
        const outs = rows.map((r) => gpu.tensor([r, cols], 'f32', 'eff'));
        temps.push(aT, ...wT, ...dT, ...outs);
        teqEffectiveGroup(gpu, wT, alphaT, alphaOffsets[gi], outs, spec);
        teqGradGroup(gpu, wT, dT, alphaT, alphaOffsets[gi], contrib, contribOffsets[gi], spec, full ? 'ste-full' : 'ste-round');
        const stacked = rows.reduce((x, y) => x + y, 0);
        entries.push({ contribOffset: contribOffsets[gi], rows: stacked, cols, outOffset: alphaOffsets[gi] });
        const got = await contrib.readF32();
        let row0 = 0;
        for (const [m, r] of rows.entries()) {
          const eff = await outs[m].readF32();
          assertClose(`${tag} member ${m} effective weight`, eff, teqEffectiveWeightRef(ws[m], a, r, cols, spec), 1e-5);
          // Bit for bit the quantizer's own result (the per-Linear path this replaces).
          const q = quantizeWeight(gpu, wT[m], spec, { colScale: aT, codes: false, dequant: true, unscale: true }).deq!;
          const qv = await q.readF32();
          q.release();
          const diff = qv.findIndex((v, i) => v !== eff[i]);
          if (diff >= 0) throw new Error(`${tag} member ${m}: effective weight ${eff[diff]} != quantizer ${qv[diff]} at ${diff}`);
          const want = teqGradContribRef(ws[m], a, ds[m], r, cols, spec, full);
          const start = contribOffsets[gi] + row0 * cols;
          assertClose(`${tag} member ${m} contributions`, got.subarray(start, start + r * cols), want, 1e-4);
          for (let i = 0; i < want.length; i++) wantGrad[alphaOffsets[gi] + (i % cols)] += want[i];
          row0 += r;
        }
      }
      const table = gpu.upload(teqColSumTable(entries), [teqColSumTable(entries).length], 'table');
      const grad = gpu.zeros([alphaLen], 'grad');
      teqColSum(gpu, table, contrib, grad);
      assertClose(`column sums ${full ? 'full' : 'round'}`, await grad.readF32(), wantGrad, 1e-4);
      [...temps, table, grad].forEach((t) => t.release());
    }
  },
};

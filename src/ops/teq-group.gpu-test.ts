// TEQ's per-group kernels (members sharing α, packed α and column sums) against the float64 twins
// of the per-Linear ones, the effective weights against the quantizer kernel itself, and dα's
// column sums against each element's contribution added up in order (f32, bit for bit).
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { teqChunkRows, teqChunks, teqColSum, teqColSumTable, teqEffectiveGroup, teqGradGroup, type TeqColSumEntry } from './teq';
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
  { rows: [5, 3, 7], cols: 70, spec: { bits: 3, groupSize: 32, symmetric: false } }, // ragged last group, one column a load
  { rows: [4, 6], cols: 48, spec: { bits: 2, groupSize: 0, symmetric: false } }, // per channel
  { rows: [9], cols: 40, spec: { bits: 4, groupSize: 16, symmetric: true } },
  // per channel over 1024 columns: chunks of 16 rows (three, across the members), and with one
  // column a load (odd α offsets) four vectors a lane
  { rows: [20, 12, 8], cols: 1024, spec: { bits: 3, groupSize: 0, symmetric: false } },
];

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const tagOf = ({ rows, cols, spec }: GroupCase, full: boolean) =>
  `${rows.join('+')}x${cols} b${spec.bits} g${spec.groupSize}${spec.symmetric ? ' sym' : ''} ${full ? 'full' : 'round'}`;

/** Column sums of rows x cols values in f32, rows added in order from 0 in chunks of chunkRows (one row of sums a chunk). */
function chunkSums(values: Float32Array, rows: number, cols: number, chunkRows: number): Float32Array {
  const out = new Float32Array(Math.ceil(rows / chunkRows) * cols);
  for (let r = 0; r < rows; r++) {
    const k = Math.floor(r / chunkRows);
    for (let c = 0; c < cols; c++) out[k * cols + c] = Math.fround(out[k * cols + c] + values[r * cols + c]);
  }
  return out;
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'column sums over rows in tiles: every column summed in row order in f32 (the bits of a sequential sum)'(gpu) {
    // two groups of one buffer: 200 rows (three whole tiles of 64 and a part) x 40 columns (a
    // workgroup of 32 and a part), and 70 x 100 (one whole tile, a part; columns 32+32+32+4)
    const entries: TeqColSumEntry[] = [
      { offset: 0, rows: 200, cols: 40, outOffset: 0 },
      { offset: 200 * 40, rows: 70, cols: 100, outOffset: 40 },
    ];
    const values = Float32Array.from(randn(200 * 40 + 70 * 100, 21));
    const want = new Float32Array(140);
    for (const e of entries) want.set(chunkSums(values.subarray(e.offset, e.offset + e.rows * e.cols), e.rows, e.cols, e.rows), e.outOffset);
    const tableValues = teqColSumTable(entries);
    const table = gpu.upload(tableValues, [tableValues.length], 'table');
    const sums = gpu.upload(values, [values.length], 'sums');
    const grad = gpu.zeros([140], 'grad');
    teqColSum(gpu, table, sums, grad);
    assertSameBits('column sums', await grad.readF32(), want);
    [table, sums, grad].forEach((t) => t.release());
  },

  async 'four columns a load (aligned offsets) give the same bits as one a load'(gpu) {
    const rows = [5, 3, 7];
    const cols = 64;
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
        // α at offset 4 (VEC4) and at offset 5 (one a load) of the same buffer; the sums likewise
        const alpha = new Float32Array(4 + cols + 1 + cols);
        alpha.set(a, 4);
        alpha.set(a, 5 + cols);
        const alphaT = gpu.upload(alpha, [alpha.length], 'alpha');
        const run = async (alphaOffset: number, partialOffset: number) => {
          const outs = rows.map((r) => gpu.tensor([r, cols], 'f32', 'eff'));
          const partials = gpu.zeros([partialOffset + cols], 'partials');
          teqEffectiveGroup(gpu, ws, alphaT, alphaOffset, outs, spec);
          teqGradGroup(gpu, ws, ds, alphaT, alphaOffset, partials, partialOffset, spec, estimator);
          const eff = await Promise.all(outs.map((o) => o.readF32()));
          const c = (await partials.readF32()).slice(partialOffset);
          [...outs, partials].forEach((t) => t.release());
          return { eff, c };
        };
        const wide = await run(4, 8);
        const narrow = await run(5 + cols, 9);
        wide.eff.forEach((e, m) => assertSameBits(`${tag} effective weight ${m}`, e, narrow.eff[m]));
        assertSameBits(`${tag} column sums`, wide.c, narrow.c);
        [...ws, ...ds, alphaT].forEach((t) => t.release());
      }
    }
  },

  async 'column sums of a group are its rows’ own contributions (the twin’s) added in row order, a chunk at a time'(gpu) {
    for (const [gi, g] of GROUPS.entries()) {
      const { rows, cols, spec } = g;
      // α at 4 (four columns a load where cols and the group size allow) and at 5 (one a load)
      for (const [alphaOffset, full] of [
        [4, false],
        [4, true],
        [5, false],
        [5, true],
      ] as const) {
        const tag = `${tagOf(g, full)} α at ${alphaOffset}`;
        const a = randu(cols, 30 + gi, 0.5, 1.5);
        const alpha = new Float32Array(alphaOffset + cols);
        alpha.set(a, alphaOffset);
        const alphaT = gpu.upload(alpha, [alpha.length], 'alpha');
        const ws = rows.map((r, m) => randn(r * cols, 500 + 10 * gi + m));
        const ds = rows.map((r, m) => randn(r * cols, 600 + 10 * gi + m));
        const wT = ws.map((w, m) => gpu.upload(w, [rows[m], cols], 'w'));
        const dT = ds.map((d, m) => gpu.upload(d, [rows[m], cols], 'dW'));
        const stacked = sum(rows);
        const estimator = full ? 'ste-full' : 'ste-round';
        // each row alone: a chunk of one row holds that row's contributions
        const single = gpu.zeros([stacked * cols], 'one row each');
        const temps: Tensor[] = [alphaT, ...wT, ...dT, single];
        let row = 0;
        for (const [m, r] of rows.entries())
          for (let i = 0; i < r; i++, row++) {
            const w1 = gpu.upload(ws[m].subarray(i * cols, (i + 1) * cols), [1, cols], 'w row');
            const d1 = gpu.upload(ds[m].subarray(i * cols, (i + 1) * cols), [1, cols], 'dW row');
            teqGradGroup(gpu, [w1], [d1], alphaT, alphaOffset, single, row * cols, spec, estimator);
            temps.push(w1, d1);
          }
        const contributions = await single.readF32();
        let row0 = 0;
        for (const [m, r] of rows.entries()) {
          const want = teqGradContribRef(ws[m], a, ds[m], r, cols, spec, full);
          assertClose(`${tag} member ${m} contributions`, contributions.subarray(row0 * cols, (row0 + r) * cols), want, 1e-4);
          row0 += r;
        }
        // all rows at once, then the chunks added up by teqColSum
        const chunks = teqChunks(stacked, spec, cols);
        const partials = gpu.zeros([8 + chunks * cols], 'partials');
        teqGradGroup(gpu, wT, dT, alphaT, alphaOffset, partials, 8, spec, estimator);
        const wantPartials = chunkSums(contributions, stacked, cols, teqChunkRows(spec, cols));
        assertSameBits(`${tag} column sums a chunk (${chunks})`, (await partials.readF32()).slice(8), wantPartials);
        const tableValues = teqColSumTable([{ offset: 8, rows: chunks, cols, outOffset: 0 }]);
        const table = gpu.upload(tableValues, [tableValues.length], 'table');
        const grad = gpu.zeros([cols], 'grad');
        teqColSum(gpu, table, partials, grad);
        assertSameBits(`${tag} dα`, await grad.readF32(), chunkSums(wantPartials, chunks, cols, chunks));
        [...temps, partials, table, grad].forEach((t) => t.release());
      }
    }
  },

  async 'effective weights of packed groups match the twin and the quantizer bit for bit'(gpu) {
    for (const [gi, { rows, cols, spec }] of GROUPS.entries()) {
      // α at offsets of one buffer: four columns a load where they are multiples of 4
      for (const alphaOffset of [4, 7]) {
        const tag = `${rows.join('+')}x${cols} b${spec.bits} g${spec.groupSize} α at ${alphaOffset}`;
        const a = randu(cols, 40 + gi, 0.5, 1.5);
        const alpha = new Float32Array(alphaOffset + cols + 3);
        alpha.set(a, alphaOffset);
        const alphaT = gpu.upload(alpha, [alpha.length], 'alpha');
        const aT = gpu.upload(a, [cols], 'alpha slice');
        const ws = rows.map((r, m) => randn(r * cols, 100 * gi + m));
        const wT = ws.map((w, m) => gpu.upload(w, [rows[m], cols], 'w'));
        const outs = rows.map((r) => gpu.tensor([r, cols], 'f32', 'eff'));
        teqEffectiveGroup(gpu, wT, alphaT, alphaOffset, outs, spec);
        for (const [m, r] of rows.entries()) {
          const eff = await outs[m].readF32();
          assertClose(`${tag} member ${m} effective weight`, eff, teqEffectiveWeightRef(ws[m], a, r, cols, spec), 1e-5);
          // Bit for bit the quantizer's own result (the per-Linear path this replaces).
          const q = quantizeWeight(gpu, wT[m], spec, { colScale: aT, codes: false, dequant: true, unscale: true }).deq!;
          assertSameBits(`${tag} member ${m} effective weight against the quantizer`, eff, await q.readF32());
          q.release();
        }
        [alphaT, aT, ...wT, ...outs].forEach((t) => t.release());
      }
    }
  },
};

// AWQ's clip search against a float64 twin written here (LLMC auto_clip v1: ten shrink factors
// 1 - i/20 of each group's [min, max], scored by the mean over tokens of the squared group output
// error), on both kernel paths: the cached-error one (whole groups of 4k ≤ 128 columns) and the
// plain per-token loop (ragged or wide groups), and the two paths against each other.
import type { Gpu } from '../gpu/gpu';
import { clipSearch } from './awq';
import { randn } from '../reference/rng';
import type { QuantSpec } from '../core/quant-spec';

/** Per (row, group): the twin's error for each of the ten factors (float64, from the f32 inputs). */
function twinErrors(w: Float32Array, x: Float32Array, rows: number, cols: number, g: number, tokens: number, bits: number): number[][] {
  const qmax = 2 ** bits - 1;
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) {
    for (let c0 = 0; c0 < cols; c0 += g) {
      const c1 = Math.min(c0 + g, cols);
      let mn = Infinity,
        mx = -Infinity;
      for (let c = c0; c < c1; c++) {
        mn = Math.min(mn, w[r * cols + c]);
        mx = Math.max(mx, w[r * cols + c]);
      }
      const errs: number[] = [];
      for (let i = 0; i < 10; i++) {
        const k = 1 - i / 20;
        const lo = mn * k,
          hi = mx * k;
        const s = Math.max(hi - lo, 1e-5) / qmax;
        const z = Math.min(qmax, Math.max(0, -Math.round(lo / s)));
        let err = 0;
        for (let t = 0; t < tokens; t++) {
          let d = 0;
          for (let c = c0; c < c1; c++) {
            const v = w[r * cols + c];
            const q = (Math.min(qmax, Math.max(0, Math.round(v / s) + z)) - z) * s;
            d += x[t * cols + c] * (v - q);
          }
          err += d * d;
        }
        errs.push(err);
      }
      out.push(errs);
    }
  }
  return out;
}

async function run(gpu: Gpu, w: Float32Array, x: Float32Array, rows: number, cols: number, tokens: number, spec: QuantSpec, plain: boolean) {
  const wt = gpu.upload(w, [rows, cols]);
  const xt = gpu.upload(x, [tokens, cols]);
  const best = clipSearch(gpu, wt, xt, spec, { plain });
  const out = { shrink: await best.readF32(), w: await wt.readF32() };
  [wt, xt, best].forEach((t) => t.release());
  return out;
}

async function check(gpu: Gpu, rows: number, cols: number, tokens: number, spec: QuantSpec, seed: number): Promise<{ shrink: Float32Array; w: Float32Array }> {
  const name = `${rows}x${cols} g${spec.groupSize} b${spec.bits}, ${tokens} tokens`;
  const w = randn(rows * cols, seed);
  const x = randn(tokens * cols, seed + 1);
  const g = spec.groupSize > 0 ? Math.min(spec.groupSize, cols) : cols;
  const got = await run(gpu, w, x, rows, cols, tokens, spec, false);
  const errs = twinErrors(w, x, rows, cols, g, tokens, spec.bits);
  const nG = Math.ceil(cols / g);
  let exact = 0;
  errs.forEach((e, gi) => {
    const k = got.shrink[gi];
    const i = Math.round((1 - k) * 20);
    if (!(i >= 0 && i < 10 && Math.abs(k - Math.fround(1 - i / 20)) < 1e-7)) throw new Error(`${name}: group ${gi} shrink ${k} is not one of the ten factors`);
    const min = Math.min(...e);
    // the GPU's choice is the twin's best, or within f32 rounding of it (a near tie)
    if (e[i] > min * (1 + 1e-4) + 1e-12)
      throw new Error(`${name}: group ${gi} chose ${k} (error ${e[i]}), the twin's best error is ${min} at ${1 - e.indexOf(min) / 20}`);
    if (e[i] === min) exact++;
    // the weights are clamped to the chosen range (f32 arithmetic, as the kernel)
    const r = Math.floor(gi / nG),
      c0 = (gi % nG) * g,
      c1 = Math.min(c0 + g, cols);
    let mn = Infinity,
      mx = -Infinity;
    for (let c = c0; c < c1; c++) {
      mn = Math.min(mn, w[r * cols + c]);
      mx = Math.max(mx, w[r * cols + c]);
    }
    const lo = Math.fround(mn * k),
      hi = Math.fround(mx * k);
    for (let c = c0; c < c1; c++) {
      const want = Math.min(hi, Math.max(lo, w[r * cols + c]));
      if (got.w[r * cols + c] !== want) throw new Error(`${name}: w[${r}, ${c}] = ${got.w[r * cols + c]}, clamped to [${lo}, ${hi}] it is ${want}`);
    }
  });
  // a search that always kept the full range (or a twin that could not tell) would test nothing
  if (!got.shrink.some((k) => k < 1)) throw new Error(`${name}: no group was shrunk: the case cannot tell the factors apart`);
  if (exact < errs.length / 2) throw new Error(`${name}: only ${exact} of ${errs.length} groups chose the twin's exact best`);
  return got;
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'cached-error path (whole groups of 32 and 16) against the float64 twin, and bit for bit against the plain loop'(gpu) {
    for (const [rows, cols, tokens, spec, seed] of [
      [6, 64, 9, { bits: 4, groupSize: 32, symmetric: false }, 1],
      [5, 48, 7, { bits: 3, groupSize: 16, symmetric: false }, 3],
    ] as const) {
      const fast = await check(gpu, rows, cols, tokens, spec, seed);
      const plain = await run(gpu, randn(rows * cols, seed), randn(tokens * cols, seed + 1), rows, cols, tokens, spec, true);
      for (const [part, a, b] of [
        ['shrink', fast.shrink, plain.shrink],
        ['w', fast.w, plain.w],
      ] as const) {
        const ua = new Uint32Array(a.buffer.slice(0)),
          ub = new Uint32Array(b.buffer.slice(0));
        const bad = ua.findIndex((v, i) => v !== ub[i]);
        if (bad >= 0) throw new Error(`g${spec.groupSize}: the cached-error path's ${part}[${bad}] = ${a[bad]}, the plain loop's ${b[bad]}`);
      }
    }
  },
  async 'plain loop (a ragged last group; one group wider than 128) against the float64 twin'(gpu) {
    await check(gpu, 4, 40, 5, { bits: 4, groupSize: 32, symmetric: false }, 5);
    await check(gpu, 3, 160, 4, { bits: 2, groupSize: 0, symmetric: false }, 7);
  },
};

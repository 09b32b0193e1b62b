// `npm run test:device`: the half-precision kernels on a real GPU, against float64 twins. Run it
// where Dawn offers shader-f16 (and, for the tensor-core kernel, subgroup matrices): on an NVIDIA
// GPU Dawn needs the toggles the CLI sets (see node-gpu.ts). CI's SwiftShader offers neither; the
// f32 instantiation of the same kernels is what the browser GPU tests check there.
//
// Tolerances, from f16 rounding (u16 = 2^-11, u32 = 2^-24), per output, relative to S = Σ|a·b|:
// - The operands are f16 values, so every product a·b is exact in f32 (11 + 11 significant bits);
//   what remains is the f32 summation of K products, in any order and possibly with truncation on
//   the tensor cores: |out - twin(f16 operands)| <= K · 2u32 · S (2u32: chopped rather than rounded).
// - Against the f32 operands before conversion, each operand carries at most u16 relative
//   rounding, a product at most 2u16 + u16²: |out - twin(f32 operands)| <= (2u16 + u16² + K · 2u32) · S.
// A wrong index or a lost tile gives errors of order S, far above both bounds; every output is
// poisoned (NaN) before the run, so an unwritten one fails. Attention's matmul path (f16 operands
// from its own kernels, f32 softmax) has its own bounds: test-device-attention.ts.
import { createNodeGpu, closeNodeGpu } from './node-gpu';
import type { Gpu } from '../gpu/gpu';
import { matmul, SUBGROUP_TILES, subgroupTileFits, subgroupVariant, type MatmulPath, type SubgroupTile } from '../ops/matmul';
import { SUBGROUP_SWEEP_TILES } from '../ops/matmul-sweep-tiles';
import { castToF16 } from '../ops/cast';
import { linearMatmul, setHalfLinears } from '../ops/precision';
import { clampMin } from '../ops/teq';
import { floatToHalf, halfToFloat } from '../formats/dtype';
import { attentionCases, printAttentionResults } from './test-device-attention';
import { producerCases, printProducerResults } from './test-device-producers';
import { lossScaleCase } from './test-device-loss-scale';

const U16 = 2 ** -11;
const U32 = 2 ** -24;

interface Case {
  name: string;
  m: number;
  k: number;
  n: number;
  batch?: number;
  transA?: boolean;
  transB?: boolean;
  bias?: boolean;
  accumulate?: boolean;
  alpha?: number;
  splitK?: number;
  tile?: SubgroupTile;
  /** Outputs checked against the twin (all when omitted). */
  sample?: number;
}

let seed = 12345;
function rand(): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
}
/** Fresh values in [-2, 2) with a spread of magnitudes (a few large ones), every case different. */
function fill(n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (rand() * 4 - 2) * (rand() < 0.02 ? 30 : 1);
  return x;
}

interface Result {
  name: string;
  path: string;
  worstAcc: number; // error vs the f16-operand twin / S, over its bound
  worstRound: number; // error vs the f32-operand twin / S, over its bound
  maxRel: number; // error vs the f16-operand twin / S
  checked: number;
  ok: boolean;
  note?: string;
}

async function runCase(gpu: Gpu, c: Case, path: MatmulPath): Promise<Result> {
  const batch = c.batch ?? 1;
  const { m, k, n } = c;
  const A = fill(batch * m * k),
    B = fill(batch * k * n);
  const Ah = new Uint16Array(A.length).map((_, i) => floatToHalf(A[i]));
  const Bh = new Uint16Array(B.length).map((_, i) => floatToHalf(B[i]));
  const Ar = Float64Array.from(Ah, halfToFloat),
    Br = Float64Array.from(Bh, halfToFloat);
  const shapeA = c.transA ? [k, m] : [m, k];
  const shapeB = c.transB ? [n, k] : [k, n];
  const a = gpu.uploadF16(Ah, batch > 1 ? [batch, ...shapeA] : shapeA, 'a');
  const b = gpu.uploadF16(Bh, batch > 1 ? [batch, ...shapeB] : shapeB, 'b');
  const biasV = c.bias ? fill(n) : null;
  const bias = biasV ? gpu.upload(biasV, [n], 'bias') : undefined;
  const prior = c.accumulate ? fill(batch * m * n) : null;
  const out = gpu.upload(prior ?? new Float32Array(batch * m * n).fill(NaN), batch > 1 ? [batch, m, n] : [m, n], 'out');
  const alpha = c.alpha ?? 1;
  matmul(gpu, a, b, { transA: c.transA, transB: c.transB, bias, accumulate: c.accumulate, out, alpha, splitK: c.splitK, path, subgroupTile: c.tile });
  const got = await out.readF32();
  for (const t of [a, b, out, bias]) t?.release();

  const total = batch * m * n;
  const count = Math.min(total, c.sample ?? total);
  let worstAcc = 0,
    worstRound = 0,
    maxRel = 0;
  let ok = true;
  for (let t = 0; t < count; t++) {
    const idx = count === total ? t : Math.floor(rand() * total);
    const bi = Math.floor(idx / (m * n)),
      i = Math.floor((idx % (m * n)) / n),
      j = idx % n;
    let twinH = 0,
      twinF = 0,
      S = 0;
    for (let p = 0; p < k; p++) {
      const ia = bi * m * k + (c.transA ? p * m + i : i * k + p);
      const ib = bi * k * n + (c.transB ? j * k + p : p * n + j);
      twinH += Ar[ia] * Br[ib];
      twinF += A[ia] * B[ib];
      S += Math.abs(Ar[ia] * Br[ib]);
    }
    const extra = (biasV ? biasV[j] : 0) + (prior ? prior[idx] : 0);
    const refH = alpha * twinH + extra,
      refF = alpha * twinF + extra;
    const scale = Math.abs(alpha) * S;
    // the epilogue (alpha, bias, accumulate) adds f32 roundings of the result's size
    const epi = 4 * U32 * (Math.abs(refH) + Math.abs(extra)) + 1e-30;
    const errH = Math.abs(got[idx] - refH),
      errF = Math.abs(got[idx] - refF);
    const boundH = k * 2 * U32 * scale + epi;
    const boundF = (2 * U16 + U16 * U16 + k * 2 * U32) * scale + epi;
    if (!(errH <= boundH) || !(errF <= boundF)) ok = false; // NaN fails
    worstAcc = Math.max(worstAcc, Number.isFinite(errH) ? errH / boundH : Infinity);
    worstRound = Math.max(worstRound, Number.isFinite(errF) ? errF / boundF : Infinity);
    maxRel = Math.max(maxRel, errH / Math.max(scale, 1e-30));
  }
  return { name: c.name, path, worstAcc, worstRound, maxRel, checked: count, ok };
}

/** The f32 -> f16 conversion: each value one of the two f16 neighbours (round to nearest even expected), overflow counted exactly. */
async function castCase(gpu: Gpu): Promise<Result> {
  const special = [65504, -65504, 65519.99, 65520, -65520, 70000, -1e6, Infinity, -Infinity, NaN, 6e-8, -3e-5, 1e-9, 0, -0];
  const x = new Float32Array(100000);
  for (let i = 0; i < x.length; i++) x[i] = i < special.length ? special[i] : (rand() * 2 - 1) * 2 ** Math.floor(rand() * 40 - 24);
  const expectedOverflow = Array.from(x).filter((v) => !(Math.abs(Math.fround(v)) < 65520)).length;
  const overflow = gpu.zeros([1], 'overflow', 'u32');
  const src = gpu.upload(x, [x.length], 'src');
  const h = castToF16(gpu, src, overflow);
  // read the f16 bits back through a u32 view of the same buffer
  const words = new Uint32Array(await gpu.readBuffer(h.buffer, h.byteLength));
  const count = (await overflow.read())[0];
  for (const t of [overflow, src, h]) t.release();
  let notNearest = 0,
    wrong = 0;
  for (let i = 0; i < x.length; i++) {
    const bits = (words[i >> 1] >>> ((i & 1) * 16)) & 0xffff;
    const v = halfToFloat(bits);
    const xi = x[i];
    if (!(Math.abs(xi) < 65520)) {
      if (v !== (xi > 0 ? 65504 : -65504)) wrong++; // clamped, never Inf or NaN
      continue;
    }
    const rne = halfToFloat(floatToHalf(xi));
    if (v === rne || (v === 0 && rne === 0)) continue;
    notNearest++;
    // otherwise it must still be the other neighbour of xi
    const lo = Math.min(rne, v),
      hi = Math.max(rne, v);
    if (!(lo <= xi && xi <= hi) || floatToHalf(v) !== bits) wrong++;
  }
  const ok = wrong === 0 && count === expectedOverflow;
  return {
    name: `cast f32->f16, ${x.length} values`,
    path: 'cast',
    worstAcc: 0,
    worstRound: 0,
    maxRel: 0,
    checked: x.length,
    ok,
    note: `overflow counted ${count} (expected ${expectedOverflow}), not round-to-nearest-even ${notNearest}, wrong ${wrong}`,
  };
}

/**
 * linearMatmul's kept f16 copies (ops/precision.ts): products from kept copies are bit-identical to
 * products from fresh conversions, and a write to a source (a kernel writing it in place, a CPU
 * write) is seen by the next product. Tensor cores only (the policy is off elsewhere).
 */
async function keptCopiesCase(gpu: Gpu): Promise<Result | null> {
  if (!setHalfLinears(gpu, true, 0)) return null;
  const [m, k, n] = [192, 320, 224];
  const x = gpu.upload(fill(m * k), [m, k], 'x');
  const w = gpu.upload(fill(n * k), [n, k], 'w');
  const dy = gpu.upload(fill(m * n), [m, n], 'dy');
  const overflow = gpu.zeros([1], 'overflow', 'u32');
  /** The same product from fresh conversions, outside the policy. */
  const fresh = (a: typeof x, b: typeof x, opts: { transA?: boolean; transB?: boolean }) => {
    const [ah, bh] = [castToF16(gpu, a, overflow), castToF16(gpu, b, overflow)];
    const out = matmul(gpu, ah, bh, opts);
    ah.release();
    bh.release();
    return out;
  };
  const bits = async (t: typeof x) => {
    const v = new Uint32Array((await t.readF32()).buffer);
    t.release();
    return v;
  };
  const differing = (a: Uint32Array, b: Uint32Array) => a.reduce((c, v, i) => c + (v !== b[i] ? 1 : 0), 0);
  const notes: string[] = [];
  let ok = true;
  const expectSame = async (what: string, got: typeof x, want: typeof x, hits: number) => {
    const d = differing(await bits(got), await bits(want));
    notes.push(`${what}: ${d} differ, ${gpu.copies.hits - hitsBefore} kept copies used`);
    if (d !== 0 || gpu.copies.hits - hitsBefore !== hits) ok = false;
  };
  let hitsBefore = gpu.copies.hits;
  linearMatmul(gpu, x, 'test.in', w, 'test.weight', { transB: true }).release(); // converts and keeps x and w
  hitsBefore = gpu.copies.hits;
  await expectSame('x·Wᵀ again', linearMatmul(gpu, x, 'test.in', w, 'test.weight', { transB: true }), fresh(x, w, { transB: true }), 2);
  hitsBefore = gpu.copies.hits;
  await expectSame('dy·W', linearMatmul(gpu, dy, 'test.dout', w, 'test.weight'), fresh(dy, w, {}), 1);
  hitsBefore = gpu.copies.hits;
  await expectSame('dyᵀ·x', linearMatmul(gpu, dy, 'test.dout', x, 'test.in', { transA: true }), fresh(dy, x, { transA: true }), 2);
  const stale = await bits(linearMatmul(gpu, x, 'test.in', w, 'test.weight', { transB: true }));
  clampMin(gpu, w, 0); // a kernel writing w in place: half its values change
  hitsBefore = gpu.copies.hits;
  const afterKernel = linearMatmul(gpu, x, 'test.in', w, 'test.weight', { transB: true });
  const changed = differing(stale, new Uint32Array((await afterKernel.readF32()).buffer));
  await expectSame('x·Wᵀ after a kernel wrote W', afterKernel, fresh(x, w, { transB: true }), 1);
  gpu.write(x, fill(m * k)); // a CPU write
  hitsBefore = gpu.copies.hits;
  await expectSame('x·Wᵀ after a CPU write to x', linearMatmul(gpu, x, 'test.in', w, 'test.weight', { transB: true }), fresh(x, w, { transB: true }), 1);
  if (changed < (m * n) / 2) ok = false; // the write must have changed the product
  notes.push(`${changed} of ${m * n} outputs changed by the kernel's write`);
  for (const t of [x, w, dy, overflow]) t.release();
  const left = gpu.copies.size;
  if (left !== 0) ok = false;
  notes.push(`${left} copies left after the sources' release`);
  setHalfLinears(gpu, false);
  return { name: `kept f16 copies ${m}x${k}x${n}`, path: 'cast', worstAcc: 0, worstRound: 0, maxRel: 0, checked: m * n, ok, note: notes.join('; ') };
}

function cases(gpu: Gpu, path: MatmulPath, picked: Record<string, SubgroupTile> | null): Case[] {
  const list: Case[] = [
    { name: 'ragged x·W 70x33·33x129', m: 70, k: 33, n: 129 },
    { name: 'ragged x·Wᵀ 70x33·33x129', m: 70, k: 33, n: 129, transB: true },
    { name: 'ragged dyᵀ·x 65x40·40x36', m: 65, k: 40, n: 36, transA: true },
    { name: 'both transposed 50x24·24x90', m: 50, k: 24, n: 90, transA: true, transB: true },
    { name: 'tiles exact x·Wᵀ 256x256x256', m: 256, k: 256, n: 256, transB: true },
    { name: 'bias + alpha 0.5 x·Wᵀ 130x96x200', m: 130, k: 96, n: 200, transB: true, bias: true, alpha: 0.5 },
    { name: 'accumulate dyᵀ·x 192x512x128', m: 192, k: 512, n: 128, transA: true, accumulate: true },
    { name: 'split-K 4 dyᵀ·x 64x2048x96', m: 64, k: 2048, n: 96, transA: true, splitK: 4 },
    { name: 'split-K auto + bias + acc 96x1024x64', m: 96, k: 1024, n: 64, transB: true, bias: true, accumulate: true },
    { name: 'batch 3 x·W 40x64x72', m: 40, k: 64, n: 72, batch: 3 },
    { name: 'alpha 2 x·W 256x128x384 (direct stores)', m: 256, k: 128, n: 384, alpha: 2 },
    { name: 'large x·Wᵀ 2048x2048x2048 (sampled)', m: 2048, k: 2048, n: 2048, transB: true, sample: 512 },
    { name: 'large dy·W 1024x4096x1024 (sampled)', m: 1024, k: 4096, n: 1024, sample: 256 },
    { name: 'large dyᵀ·x 2048x2048x1024 (sampled)', m: 2048, k: 2048, n: 1024, transA: true, sample: 256 },
  ];
  if (path === 'subgroup-matrix')
    for (const [name, t] of Object.entries(SUBGROUP_TILES) as [string, SubgroupTile][])
      for (const [transA, transB] of [
        [false, true],
        [false, false],
        [true, false],
      ])
        if (subgroupTileFits(gpu, t, transA, transB))
          list.push(
            t.DIRECT
              ? { name: `tile ${name} tA=${+transA} tB=${+transB} 256x224x384`, m: 256, k: 224, n: 384, transA, transB, tile: t }
              : { name: `tile ${name} tA=${+transA} tB=${+transB} 300x200x260`, m: 300, k: 200, n: 260, transA, transB, tile: t },
          );
  // whole tiles (no bounds checks; straight stores, accumulators from out, staged bias, split K
  // with batch) for every tile, and with --all-tiles for the sweep's candidates too
  const tiles = picked ?? { ...SUBGROUP_TILES, ...(process.argv.includes('--all-tiles') ? SUBGROUP_SWEEP_TILES : {}) };
  if (path === 'subgroup-matrix')
    for (const [name, t] of Object.entries(tiles) as [string, SubgroupTile][]) {
      const bm = t.SG_M * t.FM * 16,
        bn = t.SG_N * t.FN * 16;
      const m = 2 * bm,
        n = 2 * bn,
        k = 4 * Math.max(t.BK, 32);
      const at = `${m}x${k}x${n}`;
      const whole: Case[] = [
        { name: `whole ${name} x·Wᵀ ${at}`, m, k, n, transB: true, tile: t, sample: 2048 },
        { name: `whole ${name} alpha 0.5 x·W ${at}`, m, k, n, alpha: 0.5, tile: t, sample: 2048 },
        { name: `whole ${name} accumulate dyᵀ·x ${at}`, m, k, n, transA: true, accumulate: true, tile: t, sample: 2048 },
        { name: `whole ${name} bias x·Wᵀ ${at}`, m, k, n, transB: true, bias: true, tile: t, sample: 2048 },
        { name: `whole ${name} batch 2 split-K 2 dyᵀ·x ${at}`, m, k: 256, n, batch: 2, transA: true, splitK: 2, tile: t, sample: 2048 },
        { name: `whole ${name} batch 2 accumulate x·W ${at}`, m, k, n, batch: 2, accumulate: true, tile: t, sample: 2048 },
      ];
      for (const c of whole) {
        const v = subgroupVariant(t, { ...c, splits: c.splitK });
        if (subgroupTileFits(gpu, t, c.transA, c.transB, v.stageC)) list.push(c);
      }
    }
  return list;
}

/** `--tiles=a,b`: only the whole-tile cases of these tiles (of either set), e.g. a sweep candidate
 *  checked beside its timing in one device call. */
function pickedTiles(): Record<string, SubgroupTile> | null {
  const arg = process.argv.find((x) => x.startsWith('--tiles='));
  if (!arg) return null;
  const all: Record<string, SubgroupTile> = { ...SUBGROUP_TILES, ...SUBGROUP_SWEEP_TILES };
  const names = arg.slice('--tiles='.length).split(',');
  for (const n of names) if (!all[n]) throw new Error(`no tile "${n}" (names: ${Object.keys(all).join(', ')})`);
  return Object.fromEntries(names.map((n) => [n, all[n]]));
}

async function main(): Promise<void> {
  const gpu = await createNodeGpu({});
  const r = gpu.report;
  console.log(`device: ${r.vendor} ${r.architecture} ${r.description}`.replace(/\s+/g, ' ').trim());
  const sgm = gpu.subgroupMatrix;
  console.log(`shader-f16: ${gpu.hasF16 ? 'yes' : 'no'}; subgroup matrix: ${sgm ? `${sgm.M}x${sgm.N}x${sgm.K} f16->f32, subgroup ${sgm.subgroupSize}` : 'no'}`);
  if (!gpu.hasF16) {
    console.log('this device offers no shader-f16: nothing to test here (the f32 kernels are tested in the browser GPU tests)');
    closeNodeGpu();
    process.exit(2);
  }
  const picked = pickedTiles();
  // first, so that a short device call reaches it
  const lossScale = picked ? [] : [await lossScaleCase(gpu)];
  const results: Result[] = picked ? [] : [await castCase(gpu)];
  const kept = picked ? null : await keptCopiesCase(gpu);
  if (kept) results.push(kept);
  const paths: MatmulPath[] = sgm ? ['subgroup-matrix', 'f16'] : ['f16'];
  const pickedSet = new Set(Object.values(picked ?? {}));
  for (const path of picked ? paths.filter((x) => x === 'subgroup-matrix') : paths)
    for (const c of cases(gpu, path, picked)) if (!picked || (c.tile && pickedSet.has(c.tile))) results.push(await runCase(gpu, c, path));
  // attention's matmul path with the policy on (test-device-attention.ts); tensor cores only
  const attention = picked ? [] : await attentionCases(gpu);
  const producers = picked ? [] : [...(await producerCases(gpu)), ...lossScale];
  const errors = gpu.uncapturedErrors.splice(0);
  console.log('\n| case | path | checked | max err/S | err/bound (f16 twin) | err/bound (f32 twin) | ok |');
  console.log('|---|---|---|---|---|---|---|');
  for (const x of results)
    console.log(
      `| ${x.name} | ${x.path} | ${x.checked} | ${x.path === 'cast' ? '' : x.maxRel.toExponential(2)} | ${x.path === 'cast' ? x.note : x.worstAcc.toFixed(4)} | ${x.path === 'cast' ? '' : x.worstRound.toFixed(4)} | ${x.ok ? 'ok' : 'FAIL'} |`,
    );
  if (attention.length) printAttentionResults(attention);
  else console.log('\nattention: no subgroup matrices on this device, so the matmul path stays off (its f32 form is in the browser GPU tests)');
  printProducerResults(producers);
  console.log(`storage buffers per shader stage: ${gpu.device.limits.maxStorageBuffersPerShaderStage}`);
  const failed = [...results, ...attention, ...producers].filter((x) => !x.ok).length;
  if (errors.length) console.log(`WebGPU errors: ${errors.join(' | ')}`);
  console.log(
    `\n${results.length + attention.length + producers.length - failed} passed, ${failed} failed${errors.length ? `, ${errors.length} WebGPU errors` : ''}`,
  );
  closeNodeGpu();
  process.exit(failed || errors.length ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

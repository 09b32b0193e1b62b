// Kernel benchmark on the Node host (Dawn): TFLOP/s of f32 matmul on square and transformer
// shapes (forward and the transposed backward forms) and GB/s of the element-wise add.
// Each measurement: warm-up, then batches of many dispatches in one submission; per batch the GPU
// time per dispatch from timestamp queries (when offered) and the wall time from submit to
// onSubmittedWorkDone; the medians of the batches are reported.
//   node dist-node/bench-kernels.mjs [--sweep] [--no-robustness] [--quick]
//   --sweep          also time tile configurations and K splits per shape (for tuning the choice)
//   --no-robustness  Dawn's 'disable_robustness' toggle (not what browsers run; for comparison)
//   --dawnToggles=A,B  more Dawn toggles on (e.g. dump_shaders: the SPIR-V each kernel compiles to)
//   --quick          fewer shapes
//   --tiny           tiny shapes only (smoke test on a software adapter)
//   --half-sweep     also time every tile of the tensor-core kernel per shape
//   --half-only      only the f32 / f16 / tensor-core comparison (no f32 tables, no add)
//   --no-f16         Dawn without the f16 / subgroup-matrix toggles (f32 only)
//   --half-shapes=I,J  only these of the LLaMA-3.2-1B list (indices); --tc-only: tensor-core rows only
//   --sweep-tiles=A,B  only these tiles in --half-sweep (names of SUBGROUP_TILES / src/ops/matmul-sweep-tiles.ts)
//   --passes=N       run the f16 / tensor-core section N times, shapes interleaved, and add a table of
//                    each row's median and range (a lent machine has slowed single rows 2-4x at random)
//   --attention-only only attention: flash vs matmul path, forward and backward (see ATTENTION)
//   --accumulate     the f16 / tensor-core products add into out (as the engine sums k's and v's input
//                    gradients into q's); --bias: with a bias (Qwen2's q/k/v, OPT)
// Where the device offers shader-f16 (and subgroup matrices), the same shapes (and LLaMA-3.2-1B's
// Linear shapes) are timed on f16 operands side by side with f32: the f16-storage kernel and the
// tensor-core kernel, f32 accumulation in both.
import { createNodeGpu, closeNodeGpu } from './node-gpu';
import { summarisePasses } from './pass-summary';
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import {
  matmul,
  chooseMatmulPlan,
  chooseSubgroupPlan,
  directFits,
  subgroupTileFits,
  tileFits,
  MATMUL_TILES,
  SUBGROUP_TILES,
  subgroupVariant,
  type MatmulPath,
  type MatmulTile,
  type SubgroupTile,
} from '../ops/matmul';
import { SUBGROUP_SWEEP_TILES } from '../ops/matmul-sweep-tiles';
import { castToF16 } from '../ops/cast';
import { floatToHalf, halfToFloat } from '../formats/dtype';
import { add } from '../ops/elementwise';
import { attentionPath, causalAttention, causalAttentionBackward, type AttentionOptions, type AttentionPath } from '../ops/attention';
import { HALF_MIN_FLOPS, setHalfLinears } from '../ops/precision';
import { measure, lcgFill, type Timing } from './kernel-timing';

const args = new Set(process.argv.slice(2));
// ------------------------------------------------------------------ data

interface Shape {
  name: string;
  m: number;
  k: number;
  n: number;
  transA?: boolean;
  transB?: boolean;
}

const SQUARE: Shape[] = [1024, 2048, 4096].map((s) => ({ name: `${s}³`, m: s, k: s, n: s }));
// Transformer MLP (d=576, ffn=1536, 2048 tokens) and a small head-sized product; Linear weights
// are stored [out, in], so the forward is x·Wᵀ and the backward needs dy·W and dyᵀ·x.
const TRANSFORMER: Shape[] = [
  { name: 'up   fwd  x·Wᵀ', m: 2048, k: 576, n: 1536, transB: true },
  { name: 'up   dx   dy·W', m: 2048, k: 1536, n: 576 },
  { name: 'up   dW   dyᵀ·x', m: 1536, k: 2048, n: 576, transA: true },
  { name: 'down fwd  x·Wᵀ', m: 2048, k: 1536, n: 576, transB: true },
  { name: 'down dx   dy·W', m: 2048, k: 576, n: 1536 },
  { name: 'down dW   dyᵀ·x', m: 576, k: 2048, n: 1536, transA: true },
  { name: 'small     x·W', m: 512, k: 64, n: 172 },
  { name: 'small     x·Wᵀ', m: 2048, k: 64, n: 172, transB: true },
  { name: 'small dW  dyᵀ·x', m: 172, k: 2048, n: 64, transA: true },
  { name: '4096³     x·Wᵀ', m: 4096, k: 4096, n: 4096, transB: true },
  { name: '4096³     dyᵀ·x', m: 4096, k: 4096, n: 4096, transA: true },
];

// LLaMA-3.2-1B (hidden 2048, intermediate 8192) on 2048 tokens: q/o projection, MLP up (gate alike)
// and down, each forward x·Wᵀ, input gradient dy·W and weight gradient dyᵀ·x; and 4096³.
const LLAMA_1B: Shape[] = [
  { name: '4096³     x·W', m: 4096, k: 4096, n: 4096 },
  { name: '4096³     x·Wᵀ', m: 4096, k: 4096, n: 4096, transB: true },
  { name: '4096³     dyᵀ·x', m: 4096, k: 4096, n: 4096, transA: true },
  { name: '1B qo  fwd x·Wᵀ', m: 2048, k: 2048, n: 2048, transB: true },
  { name: '1B up  fwd x·Wᵀ', m: 2048, k: 2048, n: 8192, transB: true },
  { name: '1B down fwd x·Wᵀ', m: 2048, k: 8192, n: 2048, transB: true },
  { name: '1B up  dx  dy·W', m: 2048, k: 8192, n: 2048 },
  { name: '1B down dx dy·W', m: 2048, k: 2048, n: 8192 },
  { name: '1B up  dW  dyᵀ·x', m: 8192, k: 2048, n: 2048, transA: true },
  { name: '1B down dW dyᵀ·x', m: 2048, k: 2048, n: 8192, transA: true },
  { name: '135M up fwd x·Wᵀ', m: 2048, k: 576, n: 1536, transB: true },
];

const TINY: Shape[] = [
  { name: 'tiny x·W', m: 96, k: 64, n: 80 },
  { name: 'tiny x·Wᵀ', m: 70, k: 33, n: 129, transB: true },
  { name: 'tiny dyᵀ·x', m: 65, k: 40, n: 36, transA: true },
  { name: 'tiny split dyᵀ·x', m: 20, k: 512, n: 24, transA: true },
];

// Causal attention at SmolLM2-135M's (9 heads over 3 kv heads) and LLaMA-3.2-1B's (32 over 8)
// shapes, head dim 64, on 1 and 4 sequences of 512 tokens (and stories260K's calibration batch): the flash kernels against the matmul
// path (on the tensor cores, the policy on at its default threshold), forward and backward apart.
const ATTENTION: { name: string; o: AttentionOptions }[] = [
  { name: 'SmolLM2-135M 1x512', o: { batch: 1, seqLen: 512, heads: 9, kvHeads: 3, headDim: 64 } },
  { name: 'SmolLM2-135M 4x512', o: { batch: 4, seqLen: 512, heads: 9, kvHeads: 3, headDim: 64 } },
  { name: 'LLaMA-3.2-1B 1x512', o: { batch: 1, seqLen: 512, heads: 32, kvHeads: 8, headDim: 64 } },
  { name: 'LLaMA-3.2-1B 4x512', o: { batch: 4, seqLen: 512, heads: 32, kvHeads: 8, headDim: 64 } },
  // head dim 8, where attentionPath() keeps flash: whether the matmul path would pay there
  { name: 'stories260K 32x512 (D 8)', o: { batch: 32, seqLen: 512, heads: 8, kvHeads: 4, headDim: 8 } },
];

async function benchAttention(gpu: Gpu): Promise<string[][]> {
  const lines: string[][] = [];
  const policy = setHalfLinears(gpu, true, HALF_MIN_FLOPS);
  for (const { name, o } of ATTENTION) {
    const T = o.batch * o.seqLen;
    const q = gpu.upload(lcgFill(T * o.heads * o.headDim, 11), [T, o.heads * o.headDim], 'q');
    const k = gpu.upload(lcgFill(T * o.kvHeads * o.headDim, 12), [T, o.kvHeads * o.headDim], 'k');
    const v = gpu.upload(lcgFill(T * o.kvHeads * o.headDim, 13), [T, o.kvHeads * o.headDim], 'v');
    const dout = gpu.upload(lcgFill(T * o.heads * o.headDim, 14), [T, o.heads * o.headDim], 'dout');
    const chosen = attentionPath(gpu, o);
    // useful (causal) FLOP: the forward's two products and the backward's five over half the scores
    const half = o.batch * o.heads * o.seqLen * o.seqLen * o.headDim;
    let flashOut: Float32Array | null = null;
    for (const path of ['flash', 'matmul'] as AttentionPath[]) {
      if (path === 'matmul' && !policy) continue;
      const opts = { ...o, path };
      const fwd = await measure(gpu, () => {
        const r = causalAttention(gpu, q, k, v, opts);
        r.out.release();
        r.lse.release();
      });
      const saved = causalAttention(gpu, q, k, v, opts);
      const bwd = await measure(gpu, () => {
        const g = causalAttentionBackward(gpu, dout, q, k, v, saved.out, saved.lse, opts);
        for (const t of [g.dq, g.dk, g.dv]) t.release();
      });
      const out = await saved.out.readF32();
      let diff = '';
      if (flashOut) {
        let worst = 0,
          mag = 1e-30;
        for (let i = 0; i < out.length; i++) {
          worst = Math.max(worst, Math.abs(out[i] - flashOut[i]));
          mag = Math.max(mag, Math.abs(flashOut[i]));
        }
        diff = (worst / mag).toExponential(1);
      } else flashOut = out;
      saved.out.release();
      saved.lse.release();
      const ms = (t: Timing) => t.gpuMs ?? t.wallMs;
      lines.push([
        name,
        `${path}${path === chosen ? ' (chosen)' : ''}`,
        fmt(ms(fwd), 4),
        fmt(ms(bwd), 4),
        fmt(ms(fwd) + ms(bwd), 4),
        fmt((2 * half) / (ms(fwd) * 1e-3) / 1e12),
        fmt((5 * half) / (ms(bwd) * 1e-3) / 1e12),
        diff,
      ]);
    }
    for (const t of [q, k, v, dout]) t.release();
  }
  setHalfLinears(gpu, false);
  return lines;
}

function tileName(t: MatmulTile): string {
  return `${t.BM}x${t.BN}x${t.BK}/${t.TM}x${t.TN}${t.GROUP_M > 1 ? ` g${t.GROUP_M}` : ''}`;
}

interface Operands {
  A: Float32Array;
  B: Float32Array;
  a: Tensor;
  b: Tensor;
  out: Tensor;
}

function operands(gpu: Gpu, s: Shape): Operands {
  const A = lcgFill(s.m * s.k, 1),
    B = lcgFill(s.k * s.n, 2);
  const a = gpu.upload(A, s.transA ? [s.k, s.m] : [s.m, s.k], 'A');
  const b = gpu.upload(B, s.transB ? [s.n, s.k] : [s.k, s.n], 'B');
  return { A, B, a, b, out: gpu.tensor([s.m, s.n], 'f32', 'C') };
}

/** The same operands in f16 (converted on the GPU); A and B then hold the f16-rounded values, so the spot check measures accumulation only. */
async function halfOperands(gpu: Gpu, o: Operands): Promise<Operands> {
  const overflow = gpu.zeros([1], 'overflow', 'u32');
  const a = castToF16(gpu, o.a, overflow);
  const b = castToF16(gpu, o.b, overflow);
  const round = (x: Float32Array) => {
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = halfToFloat(floatToHalf(x[i]));
    return out;
  };
  const n = (await overflow.read())[0];
  overflow.release();
  if (n) throw new Error(`bench operands overflow f16 (${n})`);
  return { A: round(o.A), B: round(o.B), a, b, out: o.out };
}

function releaseOperands(o: Operands): void {
  for (const t of [o.a, o.b, o.out]) t.release();
}

/** Compares a sample of output entries with float64 dot products: the benchmark must be right. */
async function spotCheck(s: Shape, o: Operands): Promise<number> {
  const C = await o.out.readF32();
  let worst = 0;
  for (let t = 0; t < 64; t++) {
    const i = (t * 7919) % s.m,
      j = (t * 104729) % s.n;
    let ref = 0,
      mag = 0;
    for (let p = 0; p < s.k; p++) {
      const av = s.transA ? o.A[p * s.m + i] : o.A[i * s.k + p];
      const bv = s.transB ? o.B[j * s.k + p] : o.B[p * s.n + j];
      ref += av * bv;
      mag += Math.abs(av * bv);
    }
    worst = Math.max(worst, Math.abs(C[i * s.n + j] - ref) / Math.max(mag, 1e-30));
  }
  return worst;
}

interface Row {
  name: string;
  tile: string;
  timing: Timing;
  work: number; // flops or bytes
  check?: number;
}

async function benchMatmul(gpu: Gpu, s: Shape, o: Operands, tile?: MatmulTile, splitK?: number): Promise<Row> {
  const plan = chooseMatmulPlan(gpu, s.m, s.n, s.k, 1);
  const t = tile ?? plan.tile;
  const splits = splitK ?? plan.splitK;
  gpu.clear(o.out);
  const timing = await measure(gpu, () => {
    matmul(gpu, o.a, o.b, { transA: s.transA, transB: s.transB, out: o.out, tile: t, splitK: splits });
  });
  const check = await spotCheck(s, o);
  const name = `${tileName(t)}${splits > 1 ? ` split${splits}` : ''}`;
  return { name: `${s.m}x${s.k} · ${s.k}x${s.n}  ${s.name}`, tile: name, timing, work: 2 * s.m * s.n * s.k, check };
}

/** Tiles of the tensor-core sweep: the default tile and the candidates. */
function halfSweepTiles(): Record<string, SubgroupTile> {
  const { q128s, tall8, medium } = SUBGROUP_TILES;
  const all: Record<string, SubgroupTile> = { q128s, tall8, medium, ...SUBGROUP_SWEEP_TILES };
  // --sweep-tiles=NAME,NAME: only these
  const pick = process.argv.find((x) => x.startsWith('--sweep-tiles='));
  if (!pick) return all;
  return Object.fromEntries(
    pick
      .slice('--sweep-tiles='.length)
      .split(',')
      .map((n) => [n, all[n] ?? SUBGROUP_TILES[n as keyof typeof SUBGROUP_TILES]]),
  );
}

function sgTileName(t: SubgroupTile): string {
  return `${t.SG_M * t.FM * 16}x${t.SG_N * t.FN * 16}x${t.BK} ${t.SG_M}x${t.SG_N}sg ${t.FM}x${t.FN}fr${t.DIRECT ? ' direct' : ''}${t.BUFFERS === 1 ? ' 1buf' : ''}${t.LOAD ? ` ${t.LOAD}` : ''}${t.CHECKED ? ' checked' : ''}${t.PRODUCERS ? ` +${t.PRODUCERS} producers` : ''}`;
}

const accumulate = args.has('--accumulate');

async function benchHalf(gpu: Gpu, s: Shape, o: Operands, path: MatmulPath, tile?: SubgroupTile): Promise<Row> {
  gpu.clear(o.out);
  const bias = args.has('--bias') ? gpu.zeros([s.n], 'bias') : undefined;
  const plan = chooseSubgroupPlan(gpu, s.m, s.n, s.k, 1, s.transA, s.transB);
  const t = tile ?? plan.tile;
  // (a longer warm-up: the first ~0.1 s of a new shape ran up to 4x slow on the H200)
  const timing = await measure(
    gpu,
    () => {
      matmul(gpu, o.a, o.b, {
        transA: s.transA,
        transB: s.transB,
        out: o.out,
        path,
        subgroupTile: path === 'subgroup-matrix' ? t : undefined,
        accumulate,
        bias,
      });
    },
    200,
  );
  bias?.release();
  // (accumulated over the timing's repetitions, out is no single product to check)
  const check = accumulate ? undefined : await spotCheck(s, o);
  const name =
    path === 'subgroup-matrix'
      ? `${sgTileName(t)}${tile === undefined && plan.splitK > 1 ? ` split${plan.splitK}` : ''}`
      : tileName(chooseMatmulPlan(gpu, s.m, s.n, s.k, 1).tile);
  return { name: `${s.m}x${s.k} · ${s.k}x${s.n}  ${s.name}`, tile: `${path} ${name}`, timing, work: 2 * s.m * s.n * s.k, check };
}

/** --passes=N: how many times the f16 / tensor-core section runs (1 by default). */
function passCount(): number {
  const arg = process.argv.find((x) => x.startsWith('--passes='));
  if (!arg) return 1;
  const n = Number(arg.slice('--passes='.length));
  if (!Number.isInteger(n) || n < 1 || n > 20) throw new Error(`${arg}: expected a whole number of passes from 1 to 20`);
  return n;
}

function fmt(x: number, digits = 2): string {
  return x.toFixed(digits);
}

function printMatmulTable(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  const head = ['shape (M x K · K x N)', 'tile', 'GPU ms', 'TFLOP/s (GPU)', 'TFLOP/s (wall)', 'reps', 'rel.err'];
  const lines = rows.map((r) => [
    r.name,
    r.tile,
    r.timing.gpuMs === null ? '-' : fmt(r.timing.gpuMs, 4),
    r.timing.gpuMs === null ? '-' : fmt(r.work / (r.timing.gpuMs * 1e-3) / 1e12),
    fmt(r.work / (r.timing.wallMs * 1e-3) / 1e12),
    String(r.timing.reps),
    r.check === undefined ? '' : r.check.toExponential(1),
  ]);
  printTable(head, lines);
}

function printTable(head: string[], lines: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  console.log(row(head));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const l of lines) console.log(row(l));
}

function printAttentionTable(lines: string[][]): void {
  console.log(
    '\ncausal attention (ms: GPU time, wall where no timestamps; TFLOP/s of the causal half of the scores; rel.diff: the matmul output against flash, relative to its largest value)',
  );
  printTable(['shape', 'path', 'forward ms', 'backward ms', 'total ms', 'fwd TFLOP/s', 'bwd TFLOP/s', 'rel.diff'], lines);
}

async function benchAdd(gpu: Gpu, n: number): Promise<string[]> {
  const a = gpu.upload(lcgFill(n, 3), [n]);
  const b = gpu.upload(lcgFill(n, 4), [n]);
  const out = gpu.tensor([n]);
  const timing = await measure(gpu, () => {
    add(gpu, a, b, out);
  });
  const bytes = 3 * 4 * n;
  for (const t of [a, b, out]) t.release();
  return [
    `add ${n / (1 << 20)}M f32`,
    timing.gpuMs === null ? '-' : fmt(timing.gpuMs, 4),
    timing.gpuMs === null ? '-' : fmt(bytes / (timing.gpuMs * 1e-3) / 1e9, 0),
    fmt(bytes / (timing.wallMs * 1e-3) / 1e9, 0),
    String(timing.reps),
  ];
}

async function main(): Promise<void> {
  const extra =
    process.argv
      .find((x) => x.startsWith('--dawnToggles='))
      ?.slice('--dawnToggles='.length)
      .split(',') ?? [];
  const gpu = await createNodeGpu({
    profile: true,
    half: !args.has('--no-f16'),
    enableToggles: [...(args.has('--no-robustness') ? ['disable_robustness'] : []), ...extra],
  });
  const r = gpu.report;
  console.log(`device: ${r.vendor} ${r.architecture} ${r.device} ${r.description}`.replace(/\s+/g, ' ').trim());
  console.log(`features: ${r.features.join(', ')}`);
  const sgm = gpu.subgroupMatrix;
  console.log(
    `matmul paths: f32 operands -> f32; f16 operands -> ${sgm ? `subgroup-matrix ${sgm.M}x${sgm.N}x${sgm.K} f16->f32, subgroup ${sgm.subgroupSize}` : gpu.hasF16 ? 'f16 storage' : 'unavailable (no shader-f16)'}`,
  );
  console.log(
    `limits: ${gpu.maxWorkgroupSize} invocations/workgroup, ${r.limits.maxComputeWorkgroupStorageSize} B workgroup storage, ` +
      `timing: ${gpu.timer ? 'timestamp-query + wall' : 'wall only'}${args.has('--no-robustness') ? ', robustness OFF' : ''}`,
  );
  console.log(`date: ${new Date().toISOString()}`);

  if (args.has('--attention-only')) {
    printAttentionTable(await benchAttention(gpu));
    if (gpu.uncapturedErrors.length) console.log(`WebGPU errors: ${gpu.uncapturedErrors.join(' | ')}`);
    closeNodeGpu();
    return;
  }

  const quick = args.has('--quick');
  const tiny = args.has('--tiny');
  const shapes = tiny ? TINY : quick ? [SQUARE[2], TRANSFORMER[0], TRANSFORMER[6]] : [...SQUARE, ...TRANSFORMER];

  if (args.has('--sweep')) {
    const best: string[][] = [];
    // 4096³ was swept before: 128x128 and 64x128 tie there
    for (const s of shapes.filter((x) => x.m * x.n * x.k < 4096 ** 3)) {
      const rows: Row[] = [];
      const o = operands(gpu, s);
      for (const [name, t] of Object.entries(MATMUL_TILES)) {
        if (!tileFits(gpu, t)) continue;
        for (const splits of [1, 2, 4, 8, 16]) {
          if (splits > 1 && s.k / splits < 128) continue;
          const row = await benchMatmul(gpu, s, o, t, splits);
          row.tile = `${name} ${row.tile}`;
          rows.push(row);
        }
      }
      releaseOperands(o);
      printMatmulTable(`sweep: ${s.name} ${s.m}x${s.k}x${s.n}`, rows);
      const time = (x: Row) => x.timing.gpuMs ?? x.timing.wallMs;
      const top = rows.reduce((x, y) => (time(y) < time(x) ? y : x));
      const plan = chooseMatmulPlan(gpu, s.m, s.n, s.k, 1);
      const chosen = `${tileName(plan.tile)}${plan.splitK > 1 ? ` split${plan.splitK}` : ''}`;
      best.push([`${s.m}x${s.k}x${s.n} ${s.name}`, top.tile, fmt(top.work / (time(top) * 1e-3) / 1e12), chosen]);
    }
    console.log('\nsweep summary');
    printTable(['shape', 'fastest', 'TFLOP/s', 'chosen by shape'], best);
  }

  const halfOnly = args.has('--half-only');
  const passes = passCount();
  const rows: Row[] = [];
  for (const s of halfOnly ? [] : shapes) {
    const o = operands(gpu, s);
    rows.push(await benchMatmul(gpu, s, o));
    releaseOperands(o);
  }
  const addRows = halfOnly ? [] : [await benchAdd(gpu, tiny ? 1 << 20 : 64 << 20)];

  if (!halfOnly) printMatmulTable('f32 matmul (tile chosen by shape; rel.err: worst of 64 sampled outputs vs float64, relative to Σ|a·b|)', rows);

  if (gpu.hasF16 && !tiny) {
    // f32, f16 storage and tensor cores side by side, on the same operands (f16: rounded from them)
    const half: Row[] = [];
    const sweep: Row[] = [];
    // --half-shapes=0,3,...: only these of LLAMA_1B; --tc-only: tensor-core rows only (no f32, f16 storage)
    const pick = process.argv.find((x) => x.startsWith('--half-shapes='));
    const halfShapes = pick
      ? pick
          .slice('--half-shapes='.length)
          .split(',')
          .map((i) => LLAMA_1B[Number(i)])
      : quick
        ? [LLAMA_1B[1], LLAMA_1B[4]]
        : LLAMA_1B;
    const tcOnly = args.has('--tc-only') && gpu.subgroupMatrix !== null;
    for (let pass = 0; pass < passes; pass++)
      for (const s of halfShapes) {
        const o = operands(gpu, s);
        if (!tcOnly) half.push(await benchMatmul(gpu, s, o));
        const h = await halfOperands(gpu, o);
        if (!tcOnly) half.push(await benchHalf(gpu, s, h, 'f16'));
        if (gpu.subgroupMatrix) {
          half.push(await benchHalf(gpu, s, h, 'subgroup-matrix'));
          if (args.has('--half-sweep')) {
            for (const [name, t] of Object.entries(halfSweepTiles()) as [string, SubgroupTile][]) {
              const v = subgroupVariant(t, s);
              if (subgroupTileFits(gpu, t, s.transA, s.transB, v.stageC) && (!t.DIRECT || directFits(t, s.m, s.n, s.k))) {
                const row = await benchHalf(gpu, s, h, 'subgroup-matrix', t);
                sweep.push({ ...row, tile: `${name} ${row.tile.replace('subgroup-matrix ', '')}` });
              }
            }
            // the chosen tile once more, after the sweep (the first timing of a shape has run slow)
            const again = await benchHalf(gpu, s, h, 'subgroup-matrix');
            half.push({ ...again, tile: `${again.tile} (again)` });
          }
        }
        h.a.release();
        h.b.release();
        releaseOperands(o);
      }
    const rate = (r: Row) => (r.timing.gpuMs === null ? r.work / (r.timing.wallMs * 1e-3) : r.work / (r.timing.gpuMs * 1e-3)) / 1e12;
    if (sweep.length) {
      printMatmulTable('tensor-core tiles', sweep);
      // the same as one line per tile, one column per shape (TFLOP/s as `rate` gives it; the median over passes)
      const shapesSeen = [...new Set(sweep.map((r) => r.name))];
      const byTile = new Map<string, Map<string, string>>();
      for (const x of summarisePasses(sweep.map((r) => ({ key: `${r.tile.split(' ')[0]}\t${r.name}`, rate: rate(r) })))) {
        const [tile, shape] = x.key.split('\t');
        if (!byTile.has(tile)) byTile.set(tile, new Map());
        byTile.get(tile)!.set(shape, fmt(x.median, 1));
      }
      console.log('\ntensor-core tiles, TFLOP/s per shape: ' + shapesSeen.map((x, i) => `[${i}] ${x}`).join('; '));
      printTable(
        ['tile', ...shapesSeen.map((_, i) => `[${i}]`)],
        [...byTile].map(([k, m]) => [k, ...shapesSeen.map((x) => m.get(x) ?? '')]),
      );
    }
    if (passes > 1) {
      // a row slowed in one pass (the lent machines do that) moves its median little
      const summary = summarisePasses([...half, ...sweep].map((r) => ({ key: `${r.name}\t${r.tile}`, rate: rate(r) })));
      console.log(`\nover ${passes} passes (shapes interleaved; TFLOP/s from GPU time where timestamps exist)`);
      printTable(
        ['shape (M x K · K x N)', 'tile', 'median TFLOP/s', 'min', 'max'],
        summary.map((x) => [...x.key.split('\t'), fmt(x.median), fmt(x.min), fmt(x.max)]),
      );
    }
    printMatmulTable(
      `matmul f32 vs f16 operands (f16: f16 storage, f32 math; subgroup-matrix: ${gpu.subgroupMatrix ? 'tensor cores, f16 x f16 -> f32' : 'not offered'}; rel.err vs float64 of the f16-rounded operands)`,
      half,
    );
  } else if (!gpu.hasF16) console.log('\nno shader-f16 on this device: f16 matmuls not timed');
  if (!halfOnly) {
    console.log('\nelement-wise add (3 x 4 bytes per element moved)');
    printTable(['kernel', 'GPU ms', 'GB/s (GPU)', 'GB/s (wall)', 'reps'], addRows);
  }
  if (!tiny) printAttentionTable(await benchAttention(gpu));
  if (gpu.uncapturedErrors.length) console.log(`WebGPU errors: ${gpu.uncapturedErrors.join(' | ')}`);
  closeNodeGpu();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

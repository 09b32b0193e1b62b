// Kernel benchmark on the Node host (Dawn): TFLOP/s of f32 matmul on square and transformer
// shapes (forward and the transposed backward forms) and GB/s of the element-wise add.
// Each measurement: warm-up, then batches of many dispatches in one submission; per batch the GPU
// time per dispatch from timestamp queries (when offered) and the wall time from submit to
// onSubmittedWorkDone; the medians of the batches are reported.
//   node dist-node/bench-kernels.mjs [--sweep] [--no-robustness] [--quick]
//   --sweep          also time tile configurations and K splits per shape (for tuning the choice)
//   --no-robustness  Dawn's 'disable_robustness' toggle (not what browsers run; for comparison)
//   --quick          fewer shapes
//   --tiny           tiny shapes only (smoke test on a software adapter)
import { createNodeGpu, closeNodeGpu } from './node-gpu';
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { matmul, chooseMatmulPlan, tileFits, MATMUL_TILES, type MatmulTile } from '../ops/matmul';
import { add } from '../ops/elementwise';
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

const TINY: Shape[] = [
  { name: 'tiny x·W', m: 96, k: 64, n: 80 },
  { name: 'tiny x·Wᵀ', m: 70, k: 33, n: 129, transB: true },
  { name: 'tiny dyᵀ·x', m: 65, k: 40, n: 36, transA: true },
  { name: 'tiny split dyᵀ·x', m: 20, k: 512, n: 24, transA: true },
];

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
  const gpu = await createNodeGpu({ profile: true, enableToggles: args.has('--no-robustness') ? ['disable_robustness'] : [] });
  const r = gpu.report;
  console.log(`device: ${r.vendor} ${r.architecture} ${r.device} ${r.description}`.replace(/\s+/g, ' ').trim());
  console.log(`features: ${r.features.join(', ')}`);
  console.log(
    `limits: ${gpu.maxWorkgroupSize} invocations/workgroup, ${r.limits.maxComputeWorkgroupStorageSize} B workgroup storage, ` +
      `timing: ${gpu.timer ? 'timestamp-query + wall' : 'wall only'}${args.has('--no-robustness') ? ', robustness OFF' : ''}`,
  );
  console.log(`date: ${new Date().toISOString()}`);

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

  const rows: Row[] = [];
  for (const s of shapes) {
    const o = operands(gpu, s);
    rows.push(await benchMatmul(gpu, s, o));
    releaseOperands(o);
  }
  const addRows = [await benchAdd(gpu, tiny ? 1 << 20 : 64 << 20)];

  printMatmulTable('f32 matmul (tile chosen by shape; rel.err: worst of 64 sampled outputs vs float64, relative to Σ|a·b|)', rows);
  console.log('\nelement-wise add (3 x 4 bytes per element moved)');
  printTable(['kernel', 'GPU ms', 'GB/s (GPU)', 'GB/s (wall)', 'reps'], addRows);
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

// Tile and K-split choice for the small Linear products of a training step (TEQ's whole-model step
// runs at 1 x 512 tokens: every product has 512 rows, or 512 along K for the weight gradients).
// For each distinct product of one block (forward x·Wᵀ, input gradient dy·W, weight gradient
// dyᵀ·x) and the LM head, on the model shape given, it times the product as the engine plans it now
// (f32 and tensor cores) and every tensor-core tile with K split 1-8 ways (the split-K sum
// included), on the Node host (Dawn). GPU time from timestamps and wall time per product with many
// products back to back in one submission (what a step sees: launch and barrier costs included).
//   node dist-node/bench-small-products.mjs [--shape smollm2-135m] [--tokens 512] [--tiles a,b] [--splits 1,2] [--no-head] [--json FILE]
import { writeFileSync } from 'node:fs';
import { createNodeGpu, closeNodeGpu } from './node-gpu';
import { flag } from './argv-flag';
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { matmul, chooseSubgroupPlan, chooseMatmulPlan, evenSplits, subgroupTileFits, subgroupVariant, SUBGROUP_TILES, type SubgroupTile } from '../ops/matmul';
import { SUBGROUP_SWEEP_TILES } from '../ops/matmul-sweep-tiles';
import { castToF16 } from '../ops/cast';
import { parseHfConfig } from '../formats/hf-config';
import { RANDOM_SHAPES } from '../formats/random-model';
import { measure, lcgFill, type Timing } from './kernel-timing';

interface Product {
  name: string;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
}

/** The distinct products of one block's forward and backward, and the LM head's. */
function products(shapeName: string, tokens: number): Product[] {
  const cfg = parseHfConfig(RANDOM_SHAPES[shapeName], 'config.json', `random:${shapeName}`);
  const kv = cfg.kvHeads * cfg.headDim;
  const attn = cfg.heads * cfg.headDim;
  const linears: [string, number, number][] = [
    ['q', attn, cfg.hidden],
    ['k,v', kv, cfg.hidden],
    ['o', cfg.hidden, attn],
    ['gate,up', cfg.intermediate, cfg.hidden],
    ['down', cfg.hidden, cfg.intermediate],
  ];
  const out: Product[] = [];
  const seen = new Set<string>();
  const push = (p: Product) => {
    const key = `${p.m}|${p.k}|${p.n}|${p.transA}|${p.transB}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(p);
  };
  for (const [role, rows, cols] of linears) {
    push({ name: `${role} x·Wᵀ`, m: tokens, k: cols, n: rows, transA: false, transB: true });
    push({ name: `${role} dy·W`, m: tokens, k: rows, n: cols, transA: false, transB: false });
    push({ name: `${role} dyᵀ·x`, m: rows, k: tokens, n: cols, transA: true, transB: false });
  }
  push({ name: 'head x·Wᵀ', m: tokens, k: cfg.hidden, n: cfg.vocab, transA: false, transB: true });
  push({ name: 'head dy·W', m: tokens, k: cfg.vocab, n: cfg.hidden, transA: false, transB: false });
  return out;
}

interface Result {
  config: string;
  gpuUs: number | null;
  wallUs: number;
}

const us = (t: Timing): Result['gpuUs'] => (t.gpuMs === null ? null : t.gpuMs * 1000);

async function time(gpu: Gpu, run: () => void): Promise<Timing> {
  return measure(gpu, run, 30);
}

function tileLabel(name: string, t: SubgroupTile, splits: number): string {
  return `${name} ${t.SG_M * t.FM * 16}x${t.SG_N * t.FN * 16}x${t.BK}${splits > 1 ? ` split${splits}` : ''}`;
}

async function main(): Promise<void> {
  const shapeName = flag('shape', 'smollm2-135m');
  if (!RANDOM_SHAPES[shapeName]) throw new Error(`unknown shape ${shapeName}; have ${Object.keys(RANDOM_SHAPES).join(', ')}`);
  const tokens = Number(flag('tokens', '512'));
  const gpu = await createNodeGpu({ profile: true, half: true });
  if (!gpu.subgroupMatrix) throw new Error('this device offers no subgroup matrices (tensor cores): nothing to sweep');
  const all: Record<string, SubgroupTile> = { ...SUBGROUP_TILES, ...SUBGROUP_SWEEP_TILES };
  // --tiles a,b: only these; --splits 1,2: only these; --no-head: the block's products only
  const pick = flag('tiles', '');
  const tiles = pick ? Object.fromEntries(pick.split(',').map((n) => [n, all[n]])) : all;
  const splitChoices = flag('splits', '1,2,3,4,6,8').split(',').map(Number);
  const report: { product: Product; f32: Result; current: Result; candidates: Result[] }[] = [];
  for (const p of products(shapeName, tokens).filter((x) => !process.argv.includes('--no-head') || !x.name.startsWith('head'))) {
    const a = gpu.upload(lcgFill(p.m * p.k, 1), p.transA ? [p.k, p.m] : [p.m, p.k], 'A');
    const b = gpu.upload(lcgFill(p.k * p.n, 2), p.transB ? [p.n, p.k] : [p.k, p.n], 'B');
    const out = gpu.tensor([p.m, p.n], 'f32', 'C');
    const overflow = gpu.zeros([1], 'overflow', 'u32');
    const a16: Tensor = castToF16(gpu, a, overflow);
    const b16: Tensor = castToF16(gpu, b, overflow);
    const opts = { transA: p.transA, transB: p.transB, out };
    const f32Plan = chooseMatmulPlan(gpu, p.m, p.n, p.k, 1);
    const f32 = await time(gpu, () => void matmul(gpu, a, b, opts));
    const plan = chooseSubgroupPlan(gpu, p.m, p.n, p.k, 1, p.transA, p.transB);
    const current = await time(gpu, () => void matmul(gpu, a16, b16, opts));
    const candidates: Result[] = [];
    for (const [name, t] of Object.entries(tiles)) {
      if (t.CHECKED || t.DIRECT) continue;
      const done = new Set<number>();
      for (const want of splitChoices) {
        const splits = evenSplits(p.k, want);
        if (done.has(splits)) continue;
        done.add(splits);
        const v = subgroupVariant(t, { ...p, splits });
        if (!subgroupTileFits(gpu, t, p.transA, p.transB, v.stageC)) continue;
        const timing = await time(gpu, () => void matmul(gpu, a16, b16, { ...opts, subgroupTile: t, splitK: splits }));
        candidates.push({ config: tileLabel(name, t, splits) + (v.whole ? '' : ' checked'), gpuUs: us(timing), wallUs: timing.wallMs * 1000 });
      }
    }
    candidates.sort((x, y) => x.wallUs - y.wallUs);
    const row = {
      product: p,
      f32: {
        config: `f32 ${f32Plan.tile.BM}x${f32Plan.tile.BN}${f32Plan.splitK > 1 ? ` split${f32Plan.splitK}` : ''}`,
        gpuUs: us(f32),
        wallUs: f32.wallMs * 1000,
      },
      current: {
        config: tileLabel('tensor cores', plan.tile, plan.splitK),
        gpuUs: us(current),
        wallUs: current.wallMs * 1000,
      },
      candidates,
    };
    report.push(row);
    const f = (r: Result) => `${r.config}: ${r.wallUs.toFixed(1)} µs wall, ${r.gpuUs === null ? '-' : r.gpuUs.toFixed(1)} µs GPU`;
    console.log(`\n${p.name} ${p.m}x${p.k}x${p.n} (${((2 * p.m * p.n * p.k) / 1e6).toFixed(0)} MFLOP)`);
    console.log(`  now f32      ${f(row.f32)}`);
    console.log(`  now tc       ${f(row.current)}`);
    for (const c of candidates.slice(0, 5)) console.log(`  candidate    ${f(c)}`);
    for (const t of [a, b, out, overflow, a16, b16]) t.release();
  }
  const json = flag('json', '');
  if (json) writeFileSync(json, JSON.stringify({ shape: shapeName, tokens, report }, null, 1));
  closeNodeGpu();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

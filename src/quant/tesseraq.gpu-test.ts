// TesseraQ end to end on a tiny random LLaMA (hidden 16, 2 heads, intermediate 24).
import type { Gpu } from '../gpu/gpu';
import type { ModelConfig, WeightSource } from '../core/model-config';
import { blockForward } from '../model/block';
import { loadBlockWeights, releaseBlockWeights } from '../model/block-weights';
import { embedTokens, loadGlobals } from '../model/gpu-model';
import { globalNames, linearName, linearRoles, normNames } from '../core/tensor-names';
import type { RunEvent } from '../core/run-types';
import { DEFAULT_CONFIG } from '../methods/registry';
import { mulberry32, randn } from '../reference/rng';
import { quantizeRef } from '../reference/quantize';
import { awqBlock } from './awq';
import { QuantizedBlocks } from './quantized-model';
import { runTesseraqWithInit, awqInit, tesseraqBlock, type TesseraqOptions } from './tesseraq';
import type { MethodContext } from './method-context';
import type { QuantSpec } from '../core/quant-spec';

const CFG: ModelConfig = {
  name: 'tiny-random-llama',
  arch: 'llama',
  sourceArchitecture: 'LlamaForCausalLM',
  hidden: 16,
  intermediate: 24,
  layers: 2,
  heads: 2,
  kvHeads: 2,
  headDim: 8,
  vocab: 40,
  maxPositions: 64,
  normEps: 1e-5,
  ropeTheta: 10000,
  ropeStyle: 'half',
  tiedEmbeddings: false,
  qkvBias: false,
  outBias: false,
  mlpBias: false,
  activation: 'silu',
  bosId: 1,
  eosId: 2,
};

function tinySource(cfg: ModelConfig, seed: number): WeightSource {
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  let k = seed;
  const put = (name: string, shape: number[], scale: number, offset = 0) => {
    const d = randn(
      shape.reduce((a, b) => a * b, 1),
      k++,
      scale,
    ).map((x) => x + offset);
    tensors.set(name, { shape, data: d });
  };
  const g = globalNames('llama');
  put(g.embed, [cfg.vocab, cfg.hidden], 1);
  put(g.lmHead, [cfg.vocab, cfg.hidden], 0.25);
  put(`${g.finalNorm}.weight`, [cfg.hidden], 0.1, 1);
  const shapes: Record<string, number[]> = {
    q: [16, 16],
    k: [16, 16],
    v: [16, 16],
    o: [16, 16],
    gate: [24, 16],
    up: [24, 16],
    down: [16, 24],
  };
  for (let l = 0; l < cfg.layers; l++) {
    for (const role of linearRoles('llama')) put(`${linearName('llama', l, role)}.weight`, shapes[role], 1 / Math.sqrt(shapes[role][1]));
    const n = normNames('llama', l);
    put(`${n.attn}.weight`, [cfg.hidden], 0.2, 1);
    put(`${n.mlp}.weight`, [cfg.hidden], 0.2, 1);
  }
  return {
    config: cfg,
    shapes: new Map([...tensors].map(([n, t]) => [n, t.shape])),
    get: async (n) => {
      const t = tensors.get(n);
      if (!t) throw new Error(`no tensor ${n}`);
      return t.data.slice();
    },
  };
}

/** Mean over tokens of the summed squared difference, in float64 on the CPU. */
function tokenLoss(a: Float32Array, b: Float32Array, tokens: number): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / tokens;
}

const SPEC: QuantSpec = { bits: 2, groupSize: 8, symmetric: false };

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'one block: reconstruction loss after a few rounds is below nearest rounding with the same s, z'(gpu) {
    const src = tinySource(CFG, 100);
    const shape = { batch: 4, seqLen: 8 };
    const tokens = shape.batch * shape.seqLen;
    const x = gpu.upload(randn(tokens * CFG.hidden, 7), [tokens, CFG.hidden], 'x');
    const w = await loadBlockWeights(gpu, src, 0);
    const yfp = blockForward(gpu, CFG, w, x, shape).y;
    await awqBlock(gpu, CFG, w, x, shape, SPEC, { clip: true });
    // Independent RTN baseline: the float64 quantizer twin on the transformed weights.
    const rtn = await loadBlockWeights(gpu, src, 0);
    for (const role of linearRoles('llama')) {
      const l = w.linears[role]!;
      const [rows, cols] = l.weight.shape;
      const q = quantizeRef(await l.weight.readF32(), rows, cols, SPEC);
      rtn.linears[role]!.weight.release();
      rtn.linears[role]!.weight = gpu.upload(Float32Array.from(q.deq), [rows, cols], 'rtn');
    }
    rtn.attnNorm.weight.release();
    rtn.mlpNorm.weight.release();
    rtn.attnNorm.weight = gpu.clone(w.attnNorm.weight);
    rtn.mlpNorm.weight = gpu.clone(w.mlpNorm.weight);
    const yfpHost = await yfp.readF32();
    const rtnLoss = tokenLoss(await blockForward(gpu, CFG, rtn, x, shape).y.readF32(), yfpHost, tokens);
    releaseBlockWeights(rtn);

    const opts: TesseraqOptions = { iters: 40, schedule: [0.75, 0.5, 0.25], batch: 2, lr: 1e-2, scaleLr: 1e-2, scaleWeightDecay: 1e-4, seed: 3 };
    const before = await Promise.all(linearRoles('llama').map((r) => w.linears[r]!.weight.readF32()));
    const res = await tesseraqBlock(gpu, CFG, w, x, yfp, shape, SPEC, opts);
    const rep = res.report;
    const finalLoss = tokenLoss(await res.y.readF32(), yfpHost, tokens);
    console.log(
      `tesseraq tiny block: rtn ${rtnLoss.toFixed(5)} (report ${rep.rtnLoss.toFixed(5)}) -> final ${finalLoss.toFixed(5)}; flips ${rep.layers.map((l) => `${l.role}:${l.flips}`).join(' ')}; f mean ${rep.f.mean.toFixed(4)}`,
    );
    if (Math.abs(rep.rtnLoss - rtnLoss) > 1e-3 * rtnLoss) throw new Error(`reported RTN loss ${rep.rtnLoss} vs independent ${rtnLoss}`);
    if (Math.abs(rep.finalLoss - finalLoss) > 1e-3 * finalLoss) throw new Error(`reported final loss ${rep.finalLoss} vs recomputed ${finalLoss}`);
    if (!(finalLoss < rtnLoss)) throw new Error(`TesseraQ loss ${finalLoss} is not below round-to-nearest ${rtnLoss}`);
    if (rep.rounds.length !== 3 || rep.rounds.some((r) => r.losses.length !== 40 || !r.losses.every(Number.isFinite))) throw new Error('loss series malformed');
    if (!rep.layers.some((l) => l.flips > 0)) throw new Error('no rounding flipped');
    for (const l of rep.layers) {
      l.hardFraction.forEach((h, i) => {
        if (Math.abs(h - (1 - opts.schedule[i])) > 0.06) throw new Error(`${l.role} round ${i}: hard fraction ${h}`);
      });
    }
    // The stored codes are integers of the grid, and the block's fp weights were left as they were.
    for (const [i, role] of linearRoles('llama').entries()) {
      const q = res.quantized.get(role)!;
      const codes = (await q.codes.read()) as Uint32Array;
      if (codes.some((c) => c > 3)) throw new Error(`${role}: code out of range`);
      const after = await w.linears[role]!.weight.readF32();
      if (after.some((v, j) => v !== before[i][j])) throw new Error(`${role}: fp weight changed`);
      [q.codes, q.scales, q.zeros].forEach((t) => t.release());
    }
    [x, yfp, res.y].forEach((t) => t.release());
    releaseBlockWeights(w);
  },

  async 'driver over two blocks: stored codes, scales and zero points reproduce the reported block loss'(gpu) {
    const src = tinySource(CFG, 200);
    const globals = await loadGlobals(gpu, src);
    const calibShape = { batch: 3, seqLen: 8 };
    const rand = mulberry32(9);
    const calibIds = Uint32Array.from({ length: 24 }, () => Math.floor(rand() * CFG.vocab));
    const events: RunEvent[] = [];
    const ctx: MethodContext = {
      gpu,
      cfg: CFG,
      source: src,
      globals,
      spec: SPEC,
      config: { ...DEFAULT_CONFIG, method: 'tesseraq', bits: 2, groupSize: 8, calibSamples: 3, seqLen: 8, tqIters: 6, tqSchedule: 'short10', tqBatch: 2 },
      calibIds,
      calibShape,
      emit: (e) => events.push(e),
      overrides: new Map(),
      linears: new Map(),
      details: {},
      seconds: {},
    };
    await runTesseraqWithInit(ctx, awqInit);
    if (ctx.linears.size !== 14) throw new Error(`${ctx.linears.size} quantized Linears, want 14`);
    const losses = events.filter((e) => e.type === 'loss');
    if (losses.length !== 2 * 10 * 6) throw new Error(`${losses.length} loss events`);
    const blocks = (ctx.details.tesseraq as { blocks: { finalLoss: number; rtnLoss: number }[] }).blocks;
    if (blocks.length !== 2) throw new Error('missing block reports');
    if (!ctx.overrides.has('model.layers.1.input_layernorm.weight')) throw new Error('no transformed norm override');
    const q = ctx.linears.get('model.layers.0.mlp.down_proj')!;
    if (q.scales.length !== 16 * 3 || q.codes.length !== 16 * 24 || q.codes.some((c) => c > 3)) throw new Error('down_proj storage malformed');
    // Block 0 evaluated from what was stored (codes, s·f, z and overrides) against the fp block.
    const x0 = embedTokens(gpu, globals, calibIds, calibShape);
    const fp = await loadBlockWeights(gpu, src, 0);
    const yfp = await blockForward(gpu, CFG, fp, x0, calibShape).y.readF32();
    const qb = new QuantizedBlocks(gpu, src, { config: CFG, spec: SPEC, linears: ctx.linears, overrides: ctx.overrides }, true);
    const yq = await blockForward(gpu, CFG, await qb.get(0), x0, calibShape).y.readF32();
    const loss = tokenLoss(yq, yfp, 24);
    if (Math.abs(loss - blocks[0].finalLoss) > 1e-3 * loss) throw new Error(`stored model gives block-0 loss ${loss}, report ${blocks[0].finalLoss}`);
    qb.release();
    releaseBlockWeights(fp);
    x0.release();
  },
};

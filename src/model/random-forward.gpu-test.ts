// Small random LLaMA, Qwen2 (q/k/v bias), Qwen3 (q/k norms) and OPT models: the GPU forward against the float64
// oracle, and the GPU block backward (input and weight gradients) against finite differences of
// the oracle's block forward.
import type { Gpu } from '../gpu/gpu';
import { randomModel } from '../formats/random-model';
import { loadGlobals, forwardLogits, headInput, headInputBackward, releaseHeadInput, SourceBlocks } from './gpu-model';
import { matmul } from '../ops/matmul';
import { loadBlockWeights } from './block-weights';
import { blockForward, blockBackward, releaseActivations, type BlockActivations } from './block';
import { blocksForward } from './block-chain';
import type { Tensor } from '../gpu/tensor';
import { assertSameBits } from '../reference/compare';
import { stackSideBySide } from './testing/side-by-side';
import { forwardRef, blockRef, logitsRef } from '../reference/model';
import { assertClose } from '../reference/compare';
import { randn, mulberry32 } from '../reference/rng';
import { linearName } from '../core/tensor-names';
import { forceAttentionPath } from '../ops/attention';

/** Runs a check with every attention call on the matmul path (f32 here: no tensor cores on CI). */
async function onMatmulAttention(gpu: Gpu, check: () => Promise<void>): Promise<void> {
  forceAttentionPath(gpu, 'matmul');
  try {
    await check();
  } finally {
    forceAttentionPath(gpu, null);
  }
}

async function allWeights(m: ReturnType<typeof randomModel>) {
  const cache = new Map<string, Float32Array | Float64Array>();
  for (const n of m.weights.shapes.keys()) cache.set(n, await m.weights.get(n));
  return cache;
}

async function checkForward(gpu: Gpu, shape: string) {
  const m = randomModel(shape, 7);
  const cfg = m.weights.config;
  const batch = 2,
    seqLen = 9;
  const r = mulberry32(5);
  const ids = Uint32Array.from({ length: batch * seqLen }, () => Math.floor(r() * cfg.vocab));
  const g = await loadGlobals(gpu, m.weights);
  const blocks = new SourceBlocks(gpu, m.weights, true);
  const logits = await forwardLogits(gpu, cfg, g, blocks, ids, { batch, seqLen });
  const w = await allWeights(m);
  assertClose(
    `${shape} logits`,
    await logits.readF32(),
    forwardRef(cfg, (n) => w.get(n)!, ids, batch, seqLen),
    1e-4,
  );
  blocks.release();
}

/** With `sideBySide`, q's, k's and v's weights in one buffer and gate's and up's in another (one product each way for each set). */
async function checkBlockGradients(gpu: Gpu, shape: string, sideBySide = false, layer = 0) {
  const m = randomModel(shape, 11);
  const cfg = m.weights.config;
  const batch = 2,
    seqLen = 5,
    T = batch * seqLen;
  const x = randn(T * cfg.hidden, 3);
  const dy = randn(T * cfg.hidden, 4);
  const wb = await loadBlockWeights(gpu, m.weights, layer);
  if (sideBySide && !stackSideBySide(gpu, wb)) throw new Error(`${shape}: gate and up cannot lie side by side`);
  const xt = gpu.upload(x, [T, cfg.hidden]);
  const { y, acts } = blockForward(gpu, cfg, wb, xt, { batch, seqLen }, true);
  const g = blockBackward(gpu, cfg, wb, acts!, gpu.upload(dy, [T, cfg.hidden]), { batch, seqLen });
  const w = await allWeights(m);
  assertClose(
    `${shape} block output`,
    await y.readF32(),
    blockRef(cfg, (n) => w.get(n)!, layer, Float64Array.from(x), batch, seqLen),
    1e-4,
  );
  y.release();
  const objective = (get: (n: string) => Float32Array | Float64Array, xin: ArrayLike<number>) =>
    blockRef(cfg, get, layer, Float64Array.from(xin), batch, seqLen).reduce((a, v, i) => a + v * dy[i], 0);
  const h = 1e-4;
  // input gradient: a few coordinates
  const dx = await g.dx.readF32();
  const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const r = mulberry32(9);
  for (let k = 0; k < 6; k++) {
    const i = Math.floor(r() * x.length);
    const xp = Float64Array.from(x),
      xm = Float64Array.from(x);
    xp[i] += h;
    xm[i] -= h;
    const fd = (objective((n) => w.get(n)!, xp) - objective((n) => w.get(n)!, xm)) / (2 * h);
    if (Math.abs(fd - dx[i]) > 1e-3 * maxAbs(dx)) throw new Error(`${shape} dx[${i}] = ${dx[i]}, finite differences ${fd}`);
  }
  // weight gradients of every Linear: a few entries each
  for (const [role, dW] of Object.entries(g.dW)) {
    const name = `${linearName(cfg.arch, layer, role as never)}.weight`;
    const got = await dW!.readF32();
    for (let k = 0; k < 3; k++) {
      const i = Math.floor(r() * got.length);
      const base = w.get(name)!;
      const wp = Float64Array.from(base),
        wm = Float64Array.from(base);
      wp[i] += h;
      wm[i] -= h;
      const fd = (objective((n) => (n === name ? wp : w.get(n)!), x) - objective((n) => (n === name ? wm : w.get(n)!), x)) / (2 * h);
      if (Math.abs(fd - got[i]) > 1e-3 * maxAbs(got)) throw new Error(`${shape} d${role}[${i}] = ${got[i]}, finite differences ${fd}`);
    }
  }
}

/**
 * d Σ(G ⊙ logits) / d h for the last block's output h, as TEQ's LM step takes it (headInput, the LM
 * head's product, headInputBackward), against finite differences of the float64 logits.
 */
async function checkHeadGradient(gpu: Gpu, shape: string) {
  const m = randomModel(shape, 17);
  const cfg = m.weights.config;
  const T = 6;
  const h = randn(T * cfg.hidden, 21);
  const G = randn(T * cfg.vocab, 22);
  const g = await loadGlobals(gpu, m.weights);
  const ht = gpu.upload(h, [T, cfg.hidden]);
  const head = headInput(gpu, cfg, g, ht);
  const dt = headInputBackward(gpu, g, ht, head, matmul(gpu, gpu.upload(G, [T, cfg.vocab]), g.lmHead));
  const dh = await dt.readF32();
  releaseHeadInput(head);
  const w = await allWeights(m);
  const objective = (x: Float64Array) => logitsRef(cfg, (n) => w.get(n)!, x).reduce((a, v, i) => a + v * G[i], 0);
  const maxAbs = dh.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
  const r = mulberry32(23);
  for (let k = 0; k < 8; k++) {
    const i = Math.floor(r() * h.length);
    const [xp, xm] = [Float64Array.from(h), Float64Array.from(h)];
    xp[i] += 1e-4;
    xm[i] -= 1e-4;
    const fd = (objective(xp) - objective(xm)) / 2e-4;
    if (Math.abs(fd - dh[i]) > 1e-3 * maxAbs) throw new Error(`${shape} dh[${i}] = ${dh[i]}, finite differences ${fd}`);
  }
}

/**
 * Every block of a model on one input, the blocks' outputs summed by the next block's first norm
 * (blocksForward) against one block after another: the same bits forward (each block's input and
 * the last output) and backward (the input gradient through all of them), one dispatch fewer a block.
 */
async function checkChain(gpu: Gpu, shape: string) {
  const m = randomModel(shape, 13);
  const cfg = m.weights.config;
  if (cfg.layers < 2) throw new Error(`${shape}: needs two blocks or more`);
  const batch = 2,
    seqLen = 5,
    T = batch * seqLen;
  const blocks = await Promise.all(Array.from({ length: cfg.layers }, (_, b) => loadBlockWeights(gpu, m.weights, b)));
  const x = randn(T * cfg.hidden, 3);
  const dy = randn(T * cfg.hidden, 4);
  const run = async (chained: boolean) => {
    const before = gpu.dispatchCount;
    let h: Tensor;
    let saved: BlockActivations[] = [];
    const x0 = gpu.upload(x, [T, cfg.hidden]);
    if (chained) ({ h, saved } = blocksForward(gpu, cfg, (b) => blocks[b], x0, { batch, seqLen }, cfg.layers));
    else {
      h = x0;
      for (const w of blocks) {
        const { y, acts } = blockForward(gpu, cfg, w, h, { batch, seqLen }, true);
        saved.push(acts!);
        h = y;
      }
    }
    const forward = gpu.dispatchCount - before;
    const inputs = await Promise.all(saved.map((a) => a.x.readF32()));
    const out = await h.readF32();
    let d = gpu.upload(dy, [T, cfg.hidden]);
    for (let b = cfg.layers - 1; b >= 0; b--) {
      const g = blockBackward(gpu, cfg, blocks[b], saved[b], d, { batch, seqLen });
      Object.values(g.dW).forEach((t) => t?.release());
      d.release();
      d = g.dx;
      releaseActivations(saved[b], true);
    }
    const dx = await d.readF32();
    [d, h].forEach((t) => t.release());
    return { forward, inputs, out, dx };
  };
  const plain = await run(false);
  const chained = await run(true);
  plain.inputs.forEach((v, b) => assertSameBits(`${shape} block ${b} input`, chained.inputs[b], v));
  assertSameBits(`${shape} last block output`, chained.out, plain.out);
  assertSameBits(`${shape} input gradient through ${cfg.layers} blocks`, chained.dx, plain.dx);
  if (plain.forward - chained.forward !== cfg.layers - 1)
    throw new Error(`${shape}: ${plain.forward} -> ${chained.forward} dispatches forward, expected ${cfg.layers - 1} fewer`);
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'LLaMA (GQA, untied) forward = float64 oracle'(gpu) {
    await checkForward(gpu, 'tiny-llama');
  },
  async 'Qwen2 (q/k/v bias, tied) forward = float64 oracle'(gpu) {
    await checkForward(gpu, 'tiny-qwen2');
  },
  async 'LLaMA with biases on every Linear (granite-3b-code kind) forward = float64 oracle, block backward = finite differences'(gpu) {
    await checkForward(gpu, 'tiny-granite-code');
    await checkBlockGradients(gpu, 'tiny-granite-code');
  },
  async 'Qwen3 (q/k RMSNorm per head, head_dim apart from hidden/heads) forward = float64 oracle'(gpu) {
    await checkForward(gpu, 'tiny-qwen3');
  },
  async 'Qwen3 block backward (through the per-head norms of q and k) = finite differences of the oracle'(gpu) {
    await checkBlockGradients(gpu, 'tiny-qwen3');
  },
  async 'Qwen3 with q, k, v and gate, up side by side where they can be: output = oracle, backward = finite differences'(gpu) {
    await checkBlockGradients(gpu, 'tiny-qwen3', true);
  },
  async 'SmolLM3 (every 4th layer without RoPE) forward = float64 oracle, the NoPE block backward = finite differences'(gpu) {
    await checkForward(gpu, 'tiny-smollm3');
    await checkBlockGradients(gpu, 'tiny-smollm3', false, 3);
    await checkBlockGradients(gpu, 'tiny-smollm3', true, 3);
  },
  async 'post-norm OPT with an embedding narrower than its blocks (opt-350m kind) forward = float64 oracle'(gpu) {
    await checkForward(gpu, 'tiny-opt-350m');
  },
  async 'post-norm OPT block backward = finite differences of the oracle'(gpu) {
    await checkBlockGradients(gpu, 'tiny-opt-350m');
  },
  async "the LM head's input gradient (final norm, OPT's project_out) = finite differences of the oracle: LLaMA, OPT, post-norm OPT"(gpu) {
    for (const shape of ['tiny-llama', 'tiny-opt', 'tiny-opt-350m']) await checkHeadGradient(gpu, shape);
  },
  async 'LLaMA 3 RoPE scaling (rope_type llama3, all three bands) forward = float64 oracle'(gpu) {
    await checkForward(gpu, 'tiny-llama3');
  },
  async 'OPT (LayerNorm, learned positions +2, ReLU) forward = float64 oracle'(gpu) {
    await checkForward(gpu, 'tiny-opt');
  },
  async 'LLaMA block backward = finite differences of the oracle'(gpu) {
    await checkBlockGradients(gpu, 'tiny-llama');
  },
  async 'LLaMA block with q, k, v and gate, up side by side (one product each way): output = oracle, backward = finite differences'(gpu) {
    await checkBlockGradients(gpu, 'tiny-llama', true);
  },
  async 'blocks one after another with each output summed by the next norm: the bits of block by block, one dispatch fewer a block (LLaMA, OPT)'(gpu) {
    await checkChain(gpu, 'tiny-llama');
    await checkChain(gpu, 'tiny-opt');
  },
  async 'OPT block backward = finite differences of the oracle'(gpu) {
    await checkBlockGradients(gpu, 'tiny-opt');
  },
  async 'attention on the matmul path: LLaMA and Qwen3 forward = float64 oracle, block backward = finite differences'(gpu) {
    await onMatmulAttention(gpu, async () => {
      await checkForward(gpu, 'tiny-llama');
      await checkBlockGradients(gpu, 'tiny-llama');
      await checkBlockGradients(gpu, 'tiny-llama', true);
      await checkForward(gpu, 'tiny-qwen3');
      await checkBlockGradients(gpu, 'tiny-qwen3');
    });
  },
};

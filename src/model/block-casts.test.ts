// How many f32 -> f16 conversions a training step and an evaluation forward of one block encode
// under the precision policy (src/ops/precision.ts, default threshold 2^26 FLOP), on a fake device
// with tensor cores (it runs nothing: the dispatches are what is counted), at the SmolLM2-135M shape
// (hidden 576, q 576, k/v 192, MLP 1536). Each f32 tensor is converted once per version; the
// counts are derived by hand below (before the copies were kept: two per f16 product). The norms,
// SwiGLU, attention's layout copies, RoPE's inverse and the norms' input gradients write their
// outputs' f16 copies themselves (HALF_OUT variants): no conversion dispatch for those.
import { describe, expect, it } from 'vitest';
import { fakeGpu } from '../gpu/testing/fake-device';
import { setHalfLinears } from '../ops/precision';
import { parseHfConfig } from '../formats/hf-config';
import { RANDOM_SHAPES } from '../formats/random-model';
import { placeholderBlock, placeholderStep } from './testing/placeholder-block';
import { blockBackward, blockForward, type BatchShape } from './block';

const smol = parseHfConfig(RANDOM_SHAPES['smollm2-135m'], 'config.json', 'random:smollm2-135m');

function setup() {
  const { gpu, calls } = fakeGpu({ maxComputeWorkgroupStorageSize: 48 * 1024 }, true);
  setHalfLinears(gpu, true);
  const w = placeholderBlock(gpu, smol);
  const casts = () => calls.dispatches.filter((d) => d.pipeline.startsWith('cast-f16')).length;
  /** Dispatches that wrote an f16 copy of their own output. */
  const producers = () => calls.dispatches.filter((d) => d.pipeline.includes('HALF_OUT=true')).length;
  /** Attention's own head splits (the ones no producer wrote and no earlier split left kept). */
  const splits = () => calls.dispatches.filter((d) => d.pipeline.startsWith('attention-heads') && d.pipeline.includes('SPLIT=true')).length;
  /** Conversions of one forward + backward (every tensor released after). */
  const step = (shape: BatchShape): number => {
    const before = casts();
    placeholderStep(gpu, smol, w, shape);
    return casts() - before;
  };
  const forward = (shape: BatchShape): number => {
    const before = casts();
    const x = gpu.tensor([shape.batch * shape.seqLen, smol.hidden]);
    const { y } = blockForward(gpu, smol, w, x, shape);
    x.release();
    y.release();
    return casts() - before;
  };
  /** What TEQ's and TesseraQ's producers do every step: write every Linear's weight. */
  const rewriteWeights = () => Object.values(w.linears).forEach((l) => gpu.clear(l!.weight));
  return { gpu, casts, producers, splits, step, forward, rewriteWeights };
}

describe('f16 conversions per block (SmolLM2-135M shape)', () => {
  it("TEQ's step (1 x 512 tokens): 8 instead of 42", () => {
    // f16 products at 512 tokens: all 7 Linears (k, v: 2·512·192·576 = 2^26.8 FLOP, over the 2^26
    // threshold) forward, their dy·W and dyᵀ·x; before the copies were kept, 21 products x 2 = 42.
    // Kept copies: forward n1, att.out, n2 (q, k, v and gate, up share theirs), a and the 7
    // weights = 11; backward only the 7 output gradients (dq, dk, dv, dx1, dgate, dup, dy), their
    // inputs and weights are kept: 18. Written by their producers: n1 and n2 (the norms), att.out
    // (attention's merge of the heads), a (SwiGLU) in the forward's 4 dispatches; dgate and dup
    // (SwiGLU's backward, one dispatch), dx1 (the MLP norm's input gradient), dv (attention's
    // merge), dq and dk (RoPE's inverse) in 5 of the backward's, and the block's own dx (for the
    // block before it) in a 6th: 8 left, the 7 weights and dy (made here outside any producer).
    // RoPE turns q and k in one dispatch (and their gradients back in one, reading attention's
    // unmerged dq and dk), so 5 producer dispatches a pass; forward it also writes the head splits of
    // q and k for attention's matmul path, whose backward finds them and v's split kept: attention
    // splits v alone (dout's split is written by its delta pass).
    const { step, producers, splits, rewriteWeights } = setup();
    let before = producers();
    const splitsBefore = splits();
    expect(step({ batch: 1, seqLen: 512 })).toBe(8);
    expect(producers() - before).toBe(10);
    expect(splits() - splitsBefore).toBe(1);
    rewriteWeights();
    expect(step({ batch: 1, seqLen: 512 })).toBe(8);
    // unchanged weights (a frozen block): dy alone
    before = producers();
    expect(step({ batch: 1, seqLen: 512 })).toBe(1);
    expect(producers() - before).toBe(10);
  });

  it("TesseraQ's step (4 x 512 tokens): 8 instead of 42", () => {
    // all 7 Linears in f16 (21 products x 2 = 42 before). Kept copies: 4 inputs + 7 weights + 7
    // output gradients = 18; all but the weights and dy written by their producers: 8.
    const { step, rewriteWeights } = setup();
    expect(step({ batch: 4, seqLen: 512 })).toBe(8);
    rewriteWeights();
    expect(step({ batch: 4, seqLen: 512 })).toBe(8);
  });

  it('evaluation forwards with unchanged weights convert their weights once, then nothing (14 a window batch before)', () => {
    // 4 inputs + 7 weights, the inputs from their producers (n1, att.out, n2, a): 7, then none
    // (the producers: those 4 and RoPE, which writes q's and k's head splits in one dispatch)
    const { forward, producers } = setup();
    expect(forward({ batch: 4, seqLen: 512 })).toBe(7);
    for (let i = 0; i < 3; i++) {
      const before = producers();
      expect(forward({ batch: 4, seqLen: 512 })).toBe(0);
      expect(producers() - before).toBe(5);
    }
  });

  it('products under the threshold get no producer copies (stories260K-sized blocks stay f32)', () => {
    const { step, producers, casts } = setup();
    const before = [producers(), casts()];
    // 1 x 16 tokens: every product far under 2^26 FLOP
    step({ batch: 1, seqLen: 16 });
    expect([producers(), casts()]).toEqual(before);
  });

  it('weights side by side: one product each way for q, k, v and for gate, up', () => {
    // products (tensor-core dispatches) of a 1 x 512 step. Apart: forward q, k, v, o, gate, up, down
    // and attention's S and P·V = 9; backward down 2 (dW, dx), gate and up 4 (up's dx added into
    // gate's), o 2, attention's S, dP, dV, dQ, dK 5, q, k, v 6 = 19. Side by side: forward q|k|v, o,
    // gate|up, down + 2 = 6; backward down 2, gate|up 2, o 2, attention 5, q|k|v 2 = 13 (gate|up's dx
    // sums K = 3072 in two parts and a sum pass). RoPE copies v out of q|k|v and writes dq|dk|dv
    // itself: attention merges its output only. 51 -> 39 dispatches in all (7 -> 4 weight conversions).
    // Where the device binds 9 storage buffers, RoPE writes v's head split too: attention splits none.
    const count = (sideBySide: boolean, maxStorageBuffersPerShaderStage = 8) => {
      const { gpu, calls } = fakeGpu({ maxComputeWorkgroupStorageSize: 48 * 1024, maxStorageBuffersPerShaderStage }, true);
      setHalfLinears(gpu, true);
      const w = placeholderBlock(gpu, smol, 0, sideBySide);
      const shape = { batch: 1, seqLen: 512 };
      const x = gpu.tensor([512, smol.hidden]);
      const { y, acts } = blockForward(gpu, smol, w, x, shape, true);
      const forward = calls.dispatches.length;
      blockBackward(gpu, smol, w, acts!, gpu.tensor(y.shape), shape);
      const names = calls.dispatches.map((d) => d.pipeline.split('|')[0].replace('.wgsl', ''));
      const products = (from: number, to: number) => names.slice(from, to).filter((n) => n === 'matmul-subgroup').length;
      const merges = calls.dispatches.filter((d) => d.pipeline.startsWith('attention-heads') && /SPLIT=false/.test(d.pipeline)).length;
      const splits = calls.dispatches.filter((d) => d.pipeline.startsWith('attention-heads') && /SPLIT=true/.test(d.pipeline)).length;
      return {
        forward: products(0, forward),
        backward: products(forward, names.length),
        all: names.length,
        rope: names.filter((n) => n.startsWith('rope')),
        merges,
        splits,
      };
    };
    // (all: the three accumulating input gradients, up's, k's and v's, each add in a sum pass)
    expect(count(false)).toEqual({ forward: 9, backward: 19, all: 54, rope: ['rope', 'rope'], merges: 2, splits: 1 });
    expect(count(true)).toEqual({ forward: 6, backward: 13, all: 39, rope: ['rope-qkv', 'rope-qkv'], merges: 1, splits: 1 });
    expect(count(true, 9)).toEqual({ forward: 6, backward: 13, all: 38, rope: ['rope-qkv', 'rope-qkv'], merges: 1, splits: 0 });
    expect(count(false, 9)).toEqual({ forward: 9, backward: 19, all: 54, rope: ['rope', 'rope'], merges: 2, splits: 1 });
  });

  it('nothing is kept and nothing changes without the policy', () => {
    const { gpu, step, casts, producers } = setup();
    setHalfLinears(gpu, false);
    expect(step({ batch: 4, seqLen: 512 })).toBe(0);
    expect([casts(), producers(), gpu.copies.size]).toEqual([0, 0, 0]);
  });
});

// `npm run test:device`, the kernels that write the f16 copies of their own outputs (HALF_OUT
// variants; ops/precision.ts, halfCopyTarget): each copy must be bit for bit what cast-f16.wgsl
// makes of the f32 output the same kernel wrote, with the same overflow count (values past f16's
// range included), and a SmolLM2-135M-shaped block's forward and backward under the precision
// policy must give bit-identical outputs and weight gradients with the producers' copies and with a
// conversion per copy (on a device without tensor cores the policy is turned on for the f16-storage
// kernel, so that this runs wherever shader-f16 does).
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { castToF16, type HalfOut } from '../ops/cast';
import { rmsNorm, layerNorm } from '../ops/norm';
import { normBackwardDx, normDxHalfFits } from '../ops/norm-dx';
import { swiglu, swigluBackward } from '../ops/activation';
import { rope } from '../ops/rope';
import { causalAttention, causalAttentionBackward } from '../ops/attention';
import { teqEffectiveGroup, teqEffectiveHalfFits } from '../ops/teq';
import { setHalfCopyProducers, setHalfLinears } from '../ops/precision';
import { parseHfConfig } from '../formats/hf-config';
import { RANDOM_SHAPES } from '../formats/random-model';
import { placeholderBlock } from '../model/testing/placeholder-block';
import { stackSideBySide } from '../model/testing/side-by-side';
import { blockBackward, blockForward, releaseActivations } from '../model/block';
import type { BlockWeights } from '../model/block-weights';
import { TeqTrainer } from '../quant/teq-trainer';
import { tesseraqBlock } from '../quant/tesseraq';
import { tqAdamState, tqHalfFits, tqInit, tqSoftWeight, tqStep } from '../ops/tesseraq';

export interface ProducerResult {
  name: string;
  checked: number;
  ok: boolean;
  note: string;
}

let seed = 987654;
function rand(): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
}
/** Values in [-2, 2), one in a hundred times `big` (to push some outputs past f16's 65504). */
function fill(n: number, big = 1): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (rand() * 4 - 2) * (rand() < 0.01 ? big : 1);
  return x;
}

async function halfBits(gpu: Gpu, t: Tensor): Promise<Uint16Array> {
  return new Uint16Array(await gpu.readBuffer(t.buffer, t.byteLength)).subarray(0, t.size);
}

/** The producer's copy against castToF16 of the f32 output it wrote: differing values, and the two overflow counts. */
async function compareCopy(gpu: Gpu, out: Tensor, half: HalfOut): Promise<{ differ: number; counted: number; cast: number }> {
  const counts = gpu.zeros([half.counts.size], 'cast-overflow', 'u32');
  const cast = castToF16(gpu, out, counts, undefined, half.slot);
  const [a, b] = [await halfBits(gpu, half.copy), await halfBits(gpu, cast)];
  const counted = (await half.counts.read())[half.slot];
  const castCount = (await counts.read())[half.slot];
  cast.release();
  counts.release();
  let differ = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
  return { differ, counted, cast: castCount };
}

async function copyCase(
  gpu: Gpu,
  name: string,
  run: (half: (shape: readonly number[], slot?: number) => HalfOut) => [Tensor, HalfOut][],
): Promise<ProducerResult> {
  const counts = gpu.zeros([8], 'overflow', 'u32');
  const made: Tensor[] = [];
  const half = (shape: readonly number[], slot = 1): HalfOut => {
    const copy = gpu.tensor(shape, 'f16', 'copy');
    made.push(copy);
    return { copy, counts, slot };
  };
  const pairs = run(half);
  const notes: string[] = [];
  let ok = true;
  let checked = 0;
  let overflowed = 0;
  for (const [out, h] of pairs) {
    const c = await compareCopy(gpu, out, h);
    checked += out.size;
    overflowed += c.counted;
    notes.push(`${c.differ} differ, overflow ${c.counted} / ${c.cast}`);
    if (c.differ || c.counted !== c.cast) ok = false;
    out.release();
  }
  // the cases are built so that some values overflow: the clamping path is compared too
  if (!overflowed) {
    ok = false;
    notes.push('no overflow exercised');
  }
  made.forEach((t) => t.release());
  counts.release();
  return { name, checked, ok, note: notes.join('; ') };
}

export const up = (gpu: Gpu, shape: number[], big = 1) =>
  gpu.upload(
    fill(
      shape.reduce((a, b) => a * b, 1),
      big,
    ),
    shape,
    'in',
  );

async function copyCases(gpu: Gpu): Promise<ProducerResult[]> {
  const [T, C] = [96, 576];
  const res: ProducerResult[] = [];
  res.push(
    await copyCase(gpu, `rmsnorm ${T}x${C}`, (half) => {
      const h = half([T, C]);
      return [[rmsNorm(gpu, up(gpu, [T, C]), up(gpu, [C], 1e6), 1e-5, { half: h }).y, h]];
    }),
  );
  res.push(
    await copyCase(gpu, `layernorm ${T}x${C}`, (half) => {
      const h = half([T, C]);
      return [[layerNorm(gpu, up(gpu, [T, C]), up(gpu, [C], 1e6), up(gpu, [C]), 1e-5, { half: h }).y, h]];
    }),
  );
  res.push(
    await copyCase(gpu, `swiglu ${T}x1536`, (half) => {
      const h = half([T, 1536]);
      return [[swiglu(gpu, up(gpu, [T, 1536], 100), up(gpu, [T, 1536], 1e4), undefined, h), h]];
    }),
  );
  res.push(
    await copyCase(gpu, `swiglu backward ${T}x1536 (two copies, two slots)`, (half) => {
      const hg = half([T, 1536], 1);
      const hu = half([T, 1536], 2);
      const g = swigluBackward(gpu, up(gpu, [T, 1536], 1e4), up(gpu, [T, 1536], 100), up(gpu, [T, 1536], 100), { dgate: hg, dup: hu });
      return [
        [g.dgate, hg],
        [g.dup, hu],
      ];
    }),
  );
  res.push(
    await copyCase(gpu, `rope inverse ${T}x576 (9 heads of 64)`, (half) => {
      const h = half([T, 576]);
      const o = { heads: 9, headDim: 64, seqLen: T, theta: 10000, style: 'half' as const, inverse: true };
      return [[rope(gpu, up(gpu, [T, 576], 1e6), o, undefined, h), h]];
    }),
  );
  res.push(
    await copyCase(gpu, 'attention, matmul path: out, dq, dk, dv from the heads merge (64 tokens, 2 heads of 32 on 1 kv head)', (half) => {
      setHalfLinears(gpu, true, 0, true);
      const o = { batch: 1, seqLen: 64, heads: 2, kvHeads: 1, headDim: 32, path: 'matmul' as const };
      const [q, k, v] = [up(gpu, [64, 64]), up(gpu, [64, 32]), up(gpu, [64, 32], 1e6)];
      const hs = [half([64, 64], 1), half([64, 64], 2), half([64, 32], 3), half([64, 32], 4)];
      const a = causalAttention(gpu, q, k, v, o, hs[0]);
      const g = causalAttentionBackward(gpu, up(gpu, [64, 64], 1e6), q, k, v, a.out, a.lse, o, { dq: hs[1], dk: hs[2], dv: hs[3] });
      setHalfLinears(gpu, false);
      return [a.out, g.dq, g.dk, g.dv].map((t, i) => [t, hs[i]] as [Tensor, HalfOut]);
    }),
  );
  const stats = (ln: boolean) => {
    const x = up(gpu, [T, C]);
    const w = up(gpu, [C]);
    const n = ln ? layerNorm(gpu, x, w, up(gpu, [C]), 1e-5) : rmsNorm(gpu, x, w, 1e-5);
    n.y.release();
    return { x, w, n: n as { rstd: Tensor; mean?: Tensor } };
  };
  for (const [ln, residual] of [
    [false, true],
    [true, true],
    [true, false],
  ] as const) {
    const s = stats(ln);
    const opts = { mean: s.n.mean, residual: residual ? up(gpu, [T, C], 1e6) : undefined };
    if (!normDxHalfFits(gpu, opts)) continue;
    res.push(
      await copyCase(gpu, `${ln ? 'layernorm' : 'rmsnorm'} dx${residual ? ' + residual' : ''} ${T}x${C}`, (half) => {
        const h = half([T, C]);
        return [[normBackwardDx(gpu, up(gpu, [T, C], 1e6), s.x, s.w, s.n.rstd, { ...opts, half: h }), h]];
      }),
    );
  }
  const spec = { bits: 4, groupSize: 32, symmetric: false };
  for (const offset of [0, 1])
    for (const m of [1, 2, 3]) {
      if (!teqEffectiveHalfFits(gpu, m)) {
        res.push({
          name: `teq effective weights, ${m} members`,
          checked: 0,
          ok: true,
          note: `skipped: ${2 + 3 * m} storage bindings exceed this device's ${gpu.device.limits.maxStorageBuffersPerShaderStage}`,
        });
        continue;
      }
      res.push(
        await copyCase(gpu, `teq effective weights, ${m} members, ${offset ? 'one column' : 'four columns'} a load`, (half) => {
          const alpha = gpu.upload(
            Float32Array.from({ length: 129 }, () => 0.5 + rand() * 1.5),
            [129],
            'alpha',
          );
          const ws = Array.from({ length: m }, (_, i) => up(gpu, [64 + 32 * i, 128], 1e6));
          const outs = ws.map((w) => gpu.tensor(w.shape, 'f32', 'eff'));
          const hs = ws.map((w, i) => half(w.shape, i + 1));
          teqEffectiveGroup(gpu, ws, alpha, offset, outs, spec, hs);
          return outs.map((o, i) => [o, hs[i]] as [Tensor, HalfOut]);
        }),
      );
    }
  return res;
}

export const shapeConfig = (shape: string) => parseHfConfig(RANDOM_SHAPES[shape], 'config.json', `random:${shape}`);
const smol = () => shapeConfig('smollm2-135m');

/** A block of random weights (small, as trained weights are) of a real model's shape (SmolLM2-135M's unless named). */
export function randomBlock(gpu: Gpu, cfg = smol()): BlockWeights {
  const w = placeholderBlock(gpu, cfg);
  for (const t of blockTensors(w))
    gpu.write(
      t,
      fill(t.size).map((v) => v * 0.05),
    );
  return w;
}

export function blockTensors(w: BlockWeights): Tensor[] {
  const headNorms = w.headNorms ? [w.headNorms.q.weight, w.headNorms.k.weight] : [];
  return [...Object.values(w.linears).map((l) => l!.weight), w.attnNorm.weight, w.mlpNorm.weight, ...headNorms];
}

/**
 * Runs `work` under the policy (on the f16-storage kernel where the device has no tensor cores) with
 * the producers' copies off, then on: how many of the bits it returns differ, and its dispatches each way.
 */
async function offThenOn(
  gpu: Gpu,
  work: () => Promise<Uint32Array[]>,
): Promise<{ differ: number; checked: number; off: number; on: number; onBits: Uint32Array[] }> {
  setHalfLinears(gpu, true, undefined, true);
  const runs: { bits: Uint32Array[]; dispatches: number }[] = [];
  for (const producers of [false, true]) {
    setHalfCopyProducers(gpu, producers);
    gpu.copies.clear();
    const before = gpu.dispatchCount;
    const bits = await work();
    runs.push({ bits, dispatches: gpu.dispatchCount - before });
  }
  setHalfLinears(gpu, false);
  let differ = 0;
  let checked = 0;
  runs[1].bits.forEach((b, i) => {
    checked += b.length;
    for (let j = 0; j < b.length; j++) if (b[j] !== runs[0].bits[i][j]) differ++;
  });
  return { differ, checked, off: runs[0].dispatches, on: runs[1].dispatches, onBits: runs[1].bits };
}

/** The largest ‖a − b‖ / ‖b‖ over the tensors (f32 bits). */
export function worstRelativeL2(a: Uint32Array[], b: Uint32Array[]): number {
  let worst = 0;
  a.forEach((t, i) => {
    const [x, y] = [new Float32Array(t.buffer), new Float32Array(b[i].buffer)];
    let d = 0;
    let n = 0;
    for (let j = 0; j < x.length; j++) {
      d += (x[j] - y[j]) ** 2;
      n += y[j] ** 2;
    }
    worst = Math.max(worst, Math.sqrt(d / Math.max(n, 1e-30)));
  });
  return worst;
}

/**
 * A block of a real model's shape (SmolLM2-135M; Qwen3-0.6B for the per-head norms of q and k, whose
 * input gradients write q's and k's f16 copies), 1 x 512 tokens, under the policy: producers' copies
 * against a conversion per copy.
 */
async function blockCase(gpu: Gpu, shapeName = 'smollm2-135m', title = 'SmolLM2-135M'): Promise<ProducerResult> {
  const cfg = shapeConfig(shapeName);
  const w = randomBlock(gpu, cfg);
  const shape = { batch: 1, seqLen: 512 };
  const x = up(gpu, [512, cfg.hidden]);
  const dy = up(gpu, [512, cfg.hidden]);
  const work = async () => {
    const { y, acts } = blockForward(gpu, cfg, w, x, shape, true);
    const g = blockBackward(gpu, cfg, w, acts!, dy, shape);
    const outs = [y, g.dx, ...Object.values(g.dW).map((t) => t!)];
    const bits = await Promise.all(outs.map(async (t) => new Uint32Array((await t.readF32()).buffer)));
    releaseActivations(acts!);
    outs.forEach((t) => t.release());
    return bits;
  };
  const r = await offThenOn(gpu, work);
  // and against the f32 path (no policy): f16 operands move each output by about 2^-11 relative,
  // a wrong or stale copy (of another tensor, or an earlier version) by its whole size
  const f32 = await work();
  const worstRel = worstRelativeL2(r.onBits, f32);
  // q's, k's and v's weights side by side and gate's and up's (as TEQ keeps them): one product each way for each set
  if (!stackSideBySide(gpu, w)) throw new Error(`${title}: the weights cannot lie side by side`);
  setHalfLinears(gpu, true, undefined, true);
  gpu.copies.clear();
  const before = gpu.dispatchCount;
  const side = await work();
  const sideDispatches = gpu.dispatchCount - before;
  setHalfLinears(gpu, false);
  // the stacked products sum in another order than the products apart (other tiles, one sum for dx
  // instead of three or two added), carried through the f16 copies downstream: each output must be as
  // close to the f32 path as apart (within 10%), and its distance from apart is reported
  const [vsSeparate, vsF32] = [worstRelativeL2(side, r.onBits), worstRelativeL2(side, f32)];
  const asClose = side.every((t, i) => worstRelativeL2([t], [f32[i]]) <= 1.1 * worstRelativeL2([r.onBits[i]], [f32[i]]) + 1e-7);
  [x, dy, ...blockTensors(w)].forEach((t) => t.release());
  return {
    name: `${title} block 1x512, forward and backward: producers’ copies vs a conversion each; weights side by side`,
    checked: r.checked,
    ok: r.differ === 0 && r.on < r.off && worstRel < 1e-2 && sideDispatches < r.on && asClose && vsF32 < 1e-2,
    note:
      `${r.differ} of y, dx and every dW differ; ${r.off} -> ${r.on} dispatches; worst relative L2 error against the f32 path ${worstRel.toExponential(1)}; ` +
      `${w.headNorms ? 'gate, up (q, k and v apart: their norms come between)' : 'q, k, v and gate, up'} side by side: ${sideDispatches} dispatches, each output ${asClose ? 'as close' : 'not as close'} to f32 (${vsF32.toExponential(1)}), at most ${vsSeparate.toExponential(1)} from apart`,
  };
}

/**
 * Three TEQ steps on one SmolLM2-135M block (1 x 512 tokens, W4 g32), the effective weights' f16
 * copies written by teq-effective (TeqTrainer.refresh) and the block's by its producers, against a
 * conversion per copy: α and its Adam moments bit for bit.
 */
async function teqCase(gpu: Gpu): Promise<ProducerResult> {
  const cfg = smol();
  const w = randomBlock(gpu);
  const shape = { batch: 1, seqLen: 512 };
  const x = up(gpu, [512, cfg.hidden]);
  const dy = up(gpu, [512, cfg.hidden]);
  let moved = 0;
  const r = await offThenOn(gpu, async () => {
    const trainer = new TeqTrainer(gpu, cfg, [w], { bits: 4, groupSize: 32, symmetric: false });
    for (let step = 0; step < 3; step++) {
      trainer.refresh(512);
      const eff = trainer.effectiveBlock(0);
      const { y, acts } = blockForward(gpu, cfg, eff, x, shape, true);
      const g = blockBackward(gpu, cfg, eff, acts!, dy, shape, trainer.trainedRoles(0));
      trainer.contribute(0, g.dW, 'ste-round');
      trainer.update(1e-2, step + 1);
      [y, g.dx, ...Object.values(g.dW).map((t) => t!)].forEach((t) => t.release());
      releaseActivations(acts!);
    }
    const state = await trainer.readState();
    trainer.release();
    moved = state.alpha.filter((a) => a !== 1).length;
    return Object.values(state).map((v) => new Uint32Array(v.buffer));
  });
  [x, dy, ...blockTensors(w)].forEach((t) => t.release());
  return {
    name: 'TEQ, 3 steps of a SmolLM2-135M block 1x512: α and Adam moments, producers’ copies vs a conversion each',
    checked: r.checked,
    ok: r.differ === 0 && moved > 0 && r.on < r.off,
    note: `${r.differ} differ, ${moved} of α moved; ${r.off} -> ${r.on} dispatches`,
  };
}

/**
 * TesseraQ on one SmolLM2-135M block (2 rounds of 3 steps at 2 x 128 tokens, W4 g32): the soft
 * weights' f16 copies written by tesseraq-soft-weight and tesseraq-step, against a conversion per
 * copy: codes, scales, zeros and the block's output bit for bit.
 */
async function tesseraqCase(gpu: Gpu): Promise<ProducerResult> {
  const cfg = smol();
  const w = randomBlock(gpu);
  const shape = { batch: 4, seqLen: 128 };
  const xq = up(gpu, [512, cfg.hidden]);
  const yfp = up(gpu, [512, cfg.hidden]);
  const opts = { iters: 3, schedule: [0.5, 0.8], batch: 2, lr: 1e-3, scaleLr: 1e-3, scaleWeightDecay: 1e-4, seed: 0 };
  const r = await offThenOn(gpu, async () => {
    const res = await tesseraqBlock(gpu, cfg, w, xq, yfp, shape, { bits: 4, groupSize: 32, symmetric: false }, opts);
    const outs = [res.y, ...[...res.quantized.values()].flatMap((q) => [q.codes, q.scales, q.zeros])];
    const bits = await Promise.all(outs.map(async (t) => new Uint32Array(await gpu.readBuffer(t.buffer, t.byteLength))));
    outs.forEach((t) => t.release());
    return bits;
  });
  [xq, yfp, ...blockTensors(w)].forEach((t) => t.release());
  return {
    name: 'TesseraQ, 2 x 3 steps of a SmolLM2-135M block at 2x128 tokens: codes, scales, zeros, output, producers’ copies vs a conversion each',
    checked: r.checked,
    ok: r.differ === 0 && r.on < r.off,
    note: `${r.differ} differ; ${r.off} -> ${r.on} dispatches`,
  };
}

/** RoPE's f16 copy in the matmul attention path's head split (SPLIT_OUT) against cast-f16 of its output, permuted on the CPU. */
async function ropeSplitCase(gpu: Gpu): Promise<ProducerResult> {
  const [B, S, H, R, D] = [2, 48, 6, 3, 32]; // 2 sequences, 6 heads on 2 kv heads
  const x = up(gpu, [B * S, H * D], 1e6);
  const counts = gpu.zeros([2], 'overflow', 'u32');
  const copy = gpu.tensor([B * (H / R), R * S, D], 'f16', 'split');
  const y = rope(gpu, x, { heads: H, headDim: D, seqLen: S, theta: 10000, style: 'half' }, undefined, { copy, counts, slot: 1 }, R);
  const castCounts = gpu.zeros([2], 'cast-overflow', 'u32');
  const cast = castToF16(gpu, y, castCounts, undefined, 1);
  const [got, flat] = [await halfBits(gpu, copy), await halfBits(gpu, cast)];
  const [counted, castCount] = [(await counts.read())[1], (await castCounts.read())[1]];
  let differ = 0;
  for (let t = 0; t < B * S; t++)
    for (let h = 0; h < H; h++)
      for (let d = 0; d < D; d++) {
        const [b, s, g, hh] = [Math.floor(t / S), t % S, Math.floor(h / R), h % R];
        if (got[(((b * (H / R) + g) * R + hh) * S + s) * D + d] !== flat[(t * H + h) * D + d]) differ++;
      }
  [x, counts, copy, y, castCounts, cast].forEach((t) => t.release());
  return {
    name: `rope with its f16 copy in attention's head split (${B}x${S} tokens, ${H} heads on ${H / R} kv heads, D ${D})`,
    checked: got.length,
    ok: differ === 0 && counted === castCount && counted > 0,
    note: `${differ} differ, overflow ${counted} / ${castCount}`,
  };
}

/** The soft weight's copies of tqSoftWeight and tqStep (HALF_OUT) against cast-f16, weights large enough to overflow f16. */
async function tesseraqCopyCase(gpu: Gpu): Promise<ProducerResult> {
  if (!tqHalfFits(gpu)) return { name: 'tesseraq soft weight copies', checked: 0, ok: true, note: 'skipped: 10 storage bindings exceed this device' };
  return copyCase(gpu, 'tesseraq soft weight 192x576 (tqSoftWeight, then a tqStep)', (half) => {
    const spec = { bits: 4, groupSize: 32, symmetric: false };
    const L = tqInit(gpu, up(gpu, [192, 576], 1e6), spec);
    const [h1, h2] = [half([192, 576], 1), half([192, 576], 2)];
    const first = tqSoftWeight(gpu, L, undefined, h1);
    const soft = gpu.tensor([192, 576], 'f32', 'soft');
    const o = { step: 1, lr: 1e-2, scaleLr: 1e-2, scaleWeightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    tqStep(gpu, L, up(gpu, [192, 576]), tqAdamState(gpu, L), soft, o, h2);
    return [
      [first, h1],
      [soft, h2],
    ];
  });
}

/** Every case (the products on the tensor cores where the device has them, else on the f16-storage kernel). */
export async function producerCases(gpu: Gpu): Promise<ProducerResult[]> {
  return [
    ...(await copyCases(gpu)),
    await ropeSplitCase(gpu),
    await tesseraqCopyCase(gpu),
    await blockCase(gpu),
    await blockCase(gpu, 'qwen3-0.6b', 'Qwen3-0.6B'),
    await teqCase(gpu),
    await tesseraqCase(gpu),
  ];
}

export function printProducerResults(results: ProducerResult[]): void {
  console.log('\nf16 copies written by their producers (HALF_OUT) against cast-f16 of the same f32 output; loss scaling');
  console.log('| case | checked | note | ok |');
  console.log('|---|---|---|---|');
  for (const r of results) console.log(`| ${r.name} | ${r.checked} | ${r.note} | ${r.ok ? 'ok' : 'FAIL'} |`);
}

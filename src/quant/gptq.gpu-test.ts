// GPTQ end to end on the GPU against the float64 twin: one Linear from its inputs (GPU Hessian,
// f32 factor, column loop), and one block quantized true-sequentially (each set's Hessian from the
// block with the earlier sets quantized).
import type { Gpu } from '../gpu/gpu';
import { gptqBlock, gptqFactor, gptqLinear, gptqSets, GPTQ_DEFAULTS, type GptqOptions } from './gptq';
import { hessian } from '../ops/gptq';
import { activations } from '../ops/gptq.gpu-test';
import { gptqRef, hessianRef, outputErrorRef } from '../reference/gptq';
import { dequantizeRef, quantizeRef } from '../reference/quantize';
import { randn } from '../reference/rng';
import { randomModel } from '../formats/random-model';
import { loadBlockWeights, releaseBlockWeights, linearOf } from '../model/block-weights';
import { blockActivations, releaseActivations } from '../model/block';
import type { QuantSpec } from '../core/quant-spec';
import { linearName } from '../core/tensor-names';

/** GPU result against the twin on the same weights and Hessian: codes mostly equal, output error as low. */
function compare(
  name: string,
  w: ArrayLike<number>,
  rows: number,
  cols: number,
  h: Float64Array,
  gotCodes: ArrayLike<number>,
  gotDeq: ArrayLike<number>,
  spec: QuantSpec,
  opts: GptqOptions,
) {
  const ref = gptqRef(w, rows, cols, h, spec, opts);
  let same = 0;
  for (let i = 0; i < ref.codes.length; i++) if (gotCodes[i] === ref.codes[i]) same++;
  const agree = same / ref.codes.length;
  const eGot = outputErrorRef(w, gotDeq, rows, cols, h);
  const eRef = outputErrorRef(w, ref.deq, rows, cols, h);
  const eRtn = outputErrorRef(w, quantizeRef(w, rows, cols, spec).deq, rows, cols, h);
  // The f32 factor differs from the float64 one in the last digits; a flipped tie changes the rest
  // of its row, so agreement is high but not total, and the error must match the twin's closely.
  if (agree < 0.97) throw new Error(`${name}: only ${(agree * 100).toFixed(1)}% of codes equal the twin's`);
  if (Math.abs(eGot - eRef) > 0.03 * eRef) throw new Error(`${name}: output error ${eGot} against the twin's ${eRef}`);
  if (!(eGot < eRtn)) throw new Error(`${name}: output error ${eGot} not below round-to-nearest's ${eRtn}`);
}

async function linearCase(gpu: Gpu, rows: number, cols: number, tokens: number, spec: QuantSpec, actOrder: boolean) {
  const name = `${rows}x${cols} W${spec.bits} g${spec.groupSize}${actOrder ? ' act-order' : ''}`;
  const opts = { ...GPTQ_DEFAULTS, actOrder };
  const x = activations(tokens, cols, 77, 3);
  const w = randn(rows * cols, 78);
  const xt = gpu.upload(x, [tokens, cols]);
  const wt = gpu.upload(w, [rows, cols]);
  const h = hessian(gpu, xt);
  const f = await gptqFactor(gpu, h, opts);
  if (f.deadColumns.join() !== '3') throw new Error(`${name}: dead columns ${f.deadColumns}, expected [3]`);
  const r = gptqLinear(gpu, wt, f, spec, opts.blockSize);
  const codes = (await r.codes.read()) as Uint32Array;
  compare(name, w, rows, cols, hessianRef(x, tokens, cols), codes, await r.deq.readF32(), spec, opts);
  // the weight tensor itself is left as it was
  const after = await wt.readF32();
  if (after.some((v, i) => v !== w[i])) throw new Error(`${name}: the input weight was modified`);
  [xt, wt, h, r.codes, r.scales, r.zeros, r.deq, r.losses].forEach((t) => t.release());
  f.release();
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'one Linear from its inputs (GPU Hessian, f32 factor, loop) = float64 twin, with a dead column'(gpu) {
    await linearCase(gpu, 24, 160, 400, { bits: 3, groupSize: 32, symmetric: false }, false);
    await linearCase(gpu, 16, 100, 300, { bits: 4, groupSize: 0, symmetric: false }, false);
    await linearCase(gpu, 16, 96, 300, { bits: 3, groupSize: 32, symmetric: true }, true);
  },

  async 'a block true-sequentially: each set from the block with the earlier sets quantized (LLaMA, OPT)'(gpu) {
    for (const shapeName of ['tiny-llama', 'tiny-opt']) {
      const model = randomModel(shapeName, 3);
      const cfg = model.weights.config;
      const spec: QuantSpec = { bits: 3, groupSize: 16, symmetric: false };
      const opts = { ...GPTQ_DEFAULTS };
      const shape = { batch: 4, seqLen: 32 };
      const tokens = shape.batch * shape.seqLen;
      const x = gpu.upload(randn(tokens * cfg.hidden, 5), [tokens, cfg.hidden]);
      const w = await loadBlockWeights(gpu, model.weights, 1);
      const original = new Map<string, Float32Array>();
      for (const role of gptqSets(cfg).flat()) original.set(role, await linearOf(w, role).weight.readF32());
      let setsDone = 0;
      const { linears, report } = await gptqBlock(gpu, cfg, w, x, shape, spec, opts, () => setsDone++);
      if (setsDone !== 4 || linears.length !== original.size) throw new Error(`${shapeName}: ${setsDone} sets, ${linears.length} Linears`);
      // A set's input does not depend on its own or later sets' weights, so the final block gives
      // each set the input it was quantized with; the twin must reproduce every Linear from it.
      const acts = blockActivations(gpu, cfg, w, x, shape);
      for (const set of gptqSets(cfg)) {
        const xin = await acts.inputs[set[0]]!.readF32();
        const cols = acts.inputs[set[0]]!.shape[1];
        const h = hessianRef(xin, tokens, cols);
        for (const role of set) {
          const q = linears.find((l) => l.name === linearName(cfg.arch, 1, role))!;
          const deq = dequantizeRef(q);
          const gpuDeq = await linearOf(w, role).weight.readF32();
          if (gpuDeq.some((v, i) => Math.abs(v - deq[i]) > 1e-6 * Math.max(1, Math.abs(deq[i]))))
            throw new Error(`${shapeName} ${role}: the block does not hold the stored codes' weights`);
          compare(`${shapeName} ${role}`, original.get(role)!, q.rows, q.cols, h, q.codes, deq, spec, opts);
        }
      }
      releaseActivations(acts);
      const worse = report.layers.filter((l) => !(l.relErrGptq < l.relErrRtn));
      if (worse.length) throw new Error(`${shapeName}: GPTQ's output error is not below round-to-nearest's for ${worse.map((l) => l.layer)}`);
      if (Object.keys(report.hessianDiag).length !== 4) throw new Error(`${shapeName}: ${Object.keys(report.hessianDiag)} Hessian diagonals`);
      releaseBlockWeights(w);
      x.release();
    }
  },
};

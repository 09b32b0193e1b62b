// TEQ starts from AWQ's whole result and never ends worse than that start on held-out windows:
// - from AWQ's result (scales and clipping) with no steps, TEQ's codes and transformed tensors are
//   AWQ's bit for bit (and from AWQ's scales alone they are not: the clip is what is carried);
// - trained with a learning rate so large that the held-out loss gets worse, the start is kept and
//   the codes are again AWQ's bit for bit;
// - trained normally, the stored model's held-out losses, computed per window by the float64 oracle
//   from the stored codes and transformed tensors, match the kept scores and their mean is at most
//   the AWQ model's;
// - TEQ then GPTQ keeps TEQ's scales only where GPTQ with them is clearly better on the held-out
//   windows than GPTQ without them; otherwise its codes are plain GPTQ's bit for bit.
import type { Gpu } from '../gpu/gpu';
import { randomModel } from '../formats/random-model';
import { runQuantization } from '../engine/run';
import type { RunConfig } from '../core/run-types';
import { DEFAULT_CONFIG } from '../methods/registry';
import { splitText } from '../engine/text-split';
import { calibrationSamples } from '../engine/calibration';
import { windowNllRef } from '../reference/model';
import { effectiveGroupSize } from '../core/quant-spec';
import type { QuantizedModel } from './quantized-model';
import { teqHoldoutWindows } from './teq-holdout';
import { loadBundled } from '../formats/load';

const TEXT = Array.from({ length: 300 }, (_, i) => `Story ${i}: the cat saw ${i % 7} birds and ${(i * 13) % 11} dogs.\n\n`).join('');

interface Selection {
  heldOutWindows: number;
  keptStep: number;
  keptLoss: number;
  startLoss: number;
  scores: { step: number; loss: number; windows: number[]; against?: number; z?: number; kept: boolean }[];
}

function baseConfig(model: string, patch: Partial<RunConfig>): RunConfig {
  return { ...DEFAULT_CONFIG, model, bits: 3, groupSize: 16, calibSamples: 6, seqLen: 16, evalWindows: 1, seed: 4, teqLoss: 'lm', ...patch };
}

async function run(gpu: Gpu, model: ReturnType<typeof randomModel>, config: RunConfig) {
  const out = await runQuantization({ gpu, model, split: splitText(TEXT, 'test text'), config });
  if (out.result.status !== 'done' || !out.quantized) throw new Error(`${config.method}: ${out.result.status} ${out.result.error}`);
  return out;
}

/** The first difference between two quantized models (codes, scales, zero points, transformed tensors), or null. */
function firstDifference(a: QuantizedModel, b: QuantizedModel): string | null {
  const same = (x: ArrayLike<number>, y: ArrayLike<number>) => x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]));
  if (a.linears.size !== b.linears.size) return `${a.linears.size} vs ${b.linears.size} layers`;
  for (const [n, la] of a.linears) {
    const lb = b.linears.get(n);
    if (!lb || !same(la.codes, lb.codes) || !same(la.scales, lb.scales) || !same(la.zeros, lb.zeros)) return `${n} codes/scales/zeros`;
  }
  for (const [n, t] of a.overrides) if (!same(t, b.overrides.get(n) ?? [])) return `override ${n}`;
  if (a.overrides.size !== b.overrides.size) return `${a.overrides.size} vs ${b.overrides.size} overrides`;
  return null;
}

/** Mean per-token NLL of the held-out calibration windows, float64, on the model rebuilt from the stored codes and overrides. */
async function heldOutLossRef(model: ReturnType<typeof randomModel>, config: RunConfig, q: QuantizedModel): Promise<number> {
  const windows = await heldOutWindowsRef(model, config, q);
  return windows.reduce((a, b) => a + b, 0) / windows.length;
}

/** Each held-out window's mean per-token NLL, float64, on the model rebuilt from the stored codes and overrides. */
async function heldOutWindowsRef(model: ReturnType<typeof randomModel>, config: RunConfig, q: QuantizedModel): Promise<number[]> {
  const src = new Map<string, Float32Array | Float64Array>();
  for (const [name, l] of q.linears) {
    const g = effectiveGroupSize(l.spec, l.cols);
    const nG = Math.ceil(l.cols / g);
    const w = new Float64Array(l.rows * l.cols);
    for (let r = 0; r < l.rows; r++)
      for (let c = 0; c < l.cols; c++)
        w[r * l.cols + c] = (l.codes[r * l.cols + c] - l.zeros[r * nG + Math.floor(c / g)]) * l.scales[r * nG + Math.floor(c / g)];
    src.set(`${name}.weight`, w);
  }
  for (const n of model.weights.shapes.keys()) if (!src.has(n)) src.set(n, q.overrides.get(n) ?? (await model.weights.get(n)));
  const split = splitText(TEXT, 'test text');
  const calib = calibrationSamples([model.tokenizer.bosId, ...model.tokenizer.encode(split.calib)], config.calibSamples, config.seqLen, config.seed);
  const held = teqHoldoutWindows(config.calibSamples, config.teqHoldout);
  const windows: number[] = [];
  for (let s = config.calibSamples - held; s < config.calibSamples; s++) {
    const r = windowNllRef(model.weights.config, (n) => src.get(n)!, calib.subarray(s * config.seqLen, (s + 1) * config.seqLen));
    windows.push(r.nll / r.count);
  }
  return windows;
}

/** Whether each of `got` is within `rel` of `want`. */
const closeAll = (got: readonly number[], want: readonly number[], rel: number) =>
  got.length === want.length && got.every((v, i) => Math.abs(v - want[i]) <= rel * Math.abs(want[i]));

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async "TEQ from AWQ's result with no steps: AWQ's codes bit for bit (clip carried); from AWQ's scales alone: not (LLaMA, OPT)"(gpu) {
    for (const shape of ['tiny-llama', 'tiny-opt']) {
      const model = randomModel(shape, 2);
      const awq = await run(gpu, model, baseConfig(model.source, { method: 'awq' }));
      const teq = await run(gpu, model, baseConfig(model.source, { method: 'teq', teqInit: 'awq-clip', steps: 0 }));
      const diff = firstDifference(awq.quantized!, teq.quantized!);
      if (diff) throw new Error(`${shape}: TEQ at step 0 differs from AWQ: ${diff}`);
      const sel = (teq.result.details!.teq as { selection: Selection }).selection;
      if (sel.keptStep !== 0 || sel.scores.length !== 1) throw new Error(`${shape}: expected only the start scored and kept: ${JSON.stringify(sel)}`);
      const scalesOnly = await run(gpu, model, baseConfig(model.source, { method: 'teq', teqInit: 'awq', steps: 0 }));
      if (!firstDifference(awq.quantized!, scalesOnly.quantized!))
        throw new Error(
          `${shape}: AWQ's scales alone give AWQ's codes: the clip search did nothing here, so this test cannot tell whether the clip is carried`,
        );
    }
  },
  async 'a learning rate so large that the held-out loss gets worse (stories260K, lr 1): the start is kept, AWQ codes bit for bit'(gpu) {
    // A trained model: on a random one, wild scales are as likely to help as to hurt.
    const model = await loadBundled('/models/', { format: 'gguf' });
    const text = await (await fetch('/data/tinystories_val.txt')).text();
    const split = splitText(text.slice(0, 20_000), 'tinystories');
    const config = baseConfig(model.source, { method: 'awq', groupSize: 32, seqLen: 32 });
    const awq = await runQuantization({ gpu, model, split, config });
    const teq = await runQuantization({ gpu, model, split, config: { ...config, method: 'teq', teqInit: 'awq-clip', steps: 4, lr: 1 } });
    if (awq.result.status !== 'done' || teq.result.status !== 'done')
      throw new Error(`runs ended ${awq.result.status} / ${teq.result.status}: ${teq.result.error}`);
    const sel = (teq.result.details!.teq as { selection: Selection }).selection;
    const last = sel.scores[sel.scores.length - 1];
    if (sel.scores.length !== 2 || sel.scores[0].step !== 0 || last.step !== 4)
      throw new Error(`scored at steps ${sel.scores.map((s) => s.step)}, expected 0 and 4`);
    if (!(last.loss > sel.scores[0].loss)) throw new Error(`test setup: lr 1 did not make the held-out loss worse (${last.loss} vs ${sel.scores[0].loss})`);
    if (sel.keptStep !== 0 || sel.keptLoss !== sel.startLoss) throw new Error(`kept step ${sel.keptStep} (${sel.keptLoss}), not the start (${sel.startLoss})`);
    const diff = firstDifference(awq.quantized!, teq.quantized!);
    if (diff) throw new Error(`the kept start differs from AWQ: ${diff}`);
    if (!(teq.result.pplQuant === awq.result.pplQuant)) throw new Error(`perplexity ${teq.result.pplQuant}, AWQ ${awq.result.pplQuant}`);
  },
  async "trained TEQ: the stored model's held-out losses (float64 oracle, per window) are at most AWQ's and are the kept scores"(gpu) {
    const model = randomModel('tiny-llama', 2);
    // 16 windows, 2 held out: the per-window comparison (pairedGain) has a standard error
    const awqConfig = baseConfig(model.source, { method: 'awq', calibSamples: 16 });
    const teqConfig = baseConfig(model.source, { method: 'teq', calibSamples: 16, teqInit: 'awq-clip', steps: 36, lr: 2e-2 });
    const awq = await run(gpu, model, awqConfig);
    const teq = await run(gpu, model, teqConfig);
    const sel = (teq.result.details!.teq as { selection: Selection }).selection;
    if (sel.heldOutWindows !== 2 || sel.scores.map((s) => s.step).join() !== '0,32,36') throw new Error(`unexpected selection ${JSON.stringify(sel)}`);
    const refAwq = await heldOutWindowsRef(model, awqConfig, awq.quantized!);
    const refTeq = await heldOutWindowsRef(model, teqConfig, teq.quantized!);
    const kept = sel.scores.findIndex((s) => s.step === sel.keptStep);
    if (!closeAll(sel.scores[0].windows, refAwq, 1e-3)) throw new Error(`start windows ${sel.scores[0].windows}, float64 of the AWQ model ${refAwq}`);
    if (!closeAll(sel.scores[kept].windows, refTeq, 1e-3))
      throw new Error(`kept windows ${sel.scores[kept].windows}, float64 of the stored TEQ model ${refTeq}`);
    const mean = (w: number[]) => w.reduce((a, b) => a + b, 0) / w.length;
    if (Math.abs(mean(refTeq) - sel.keptLoss) > 1e-3 * mean(refTeq)) throw new Error(`kept score ${sel.keptLoss}, float64 held-out loss ${mean(refTeq)}`);
    if (mean(refTeq) > mean(refAwq) * (1 + 1e-5))
      throw new Error(`the stored TEQ model is worse on the held-out windows than its start: ${refTeq} vs AWQ ${refAwq}`);
    // the decisions replayed from the per-window losses end on the kept step, each margin against the α kept when it came
    const last = sel.scores.filter((s) => s.kept).pop();
    if (last?.step !== sel.keptStep || sel.scores[1].against !== 0)
      throw new Error(`decisions ${JSON.stringify(sel.scores)} do not end on step ${sel.keptStep}`);
    if (!sel.scores.slice(1).every((s) => typeof s.z === 'number')) throw new Error(`no margins with two held-out windows: ${JSON.stringify(sel.scores)}`);
  },
  async "TEQ then GPTQ with α left at one: the held-out scores tie, plain GPTQ's codes are kept bit for bit (LLaMA, OPT)"(gpu) {
    for (const shape of ['tiny-llama', 'tiny-opt']) {
      const model = randomModel(shape, 2);
      const gptq = await run(gpu, model, baseConfig(model.source, { method: 'gptq' }));
      const both = await run(gpu, model, baseConfig(model.source, { method: 'teq+gptq', teqInit: 'ones', steps: 0 }));
      const choice = both.result.details!.teqGptq as { heldOutWindows: number; withTeq: number; withoutTeq: number; keptTeq: boolean };
      if (choice.heldOutWindows !== 1 || choice.keptTeq || choice.withTeq !== choice.withoutTeq)
        throw new Error(`${shape}: expected a tie on one window and plain GPTQ kept: ${JSON.stringify(choice)}`);
      const diff = firstDifference(gptq.quantized!, both.quantized!);
      if (diff) throw new Error(`${shape}: TEQ then GPTQ without TEQ's scales differs from GPTQ: ${diff}`);
    }
  },
  async "trained TEQ then GPTQ: the kept model's held-out loss (float64 oracle) is the reported one and at most GPTQ's"(gpu) {
    const model = randomModel('tiny-llama', 3);
    const gptqConfig = baseConfig(model.source, { method: 'gptq', calibSamples: 16 });
    const config = { ...gptqConfig, method: 'teq+gptq' as const, teqInit: 'awq' as const, steps: 36, lr: 2e-2 };
    const gptq = await run(gpu, model, gptqConfig);
    const both = await run(gpu, model, config);
    const choice = both.result.details!.teqGptq as { heldOutWindows: number; withTeq: number; withoutTeq: number; keptTeq: boolean };
    if (choice.heldOutWindows !== 2) throw new Error(`expected 2 held-out windows: ${JSON.stringify(choice)}`);
    const refKept = await heldOutLossRef(model, config, both.quantized!);
    const refGptq = await heldOutLossRef(model, gptqConfig, gptq.quantized!);
    const reported = choice.keptTeq ? choice.withTeq : choice.withoutTeq;
    if (Math.abs(refKept - reported) > 1e-3 * refKept) throw new Error(`reported ${reported}, float64 held-out loss of the stored model ${refKept}`);
    if (Math.abs(refGptq - choice.withoutTeq) > 1e-3 * refGptq) throw new Error(`without TEQ ${choice.withoutTeq}, float64 held-out loss of GPTQ ${refGptq}`);
    if (refKept > refGptq * (1 + 1e-5)) throw new Error(`the stored model is worse on the held-out windows than GPTQ: ${refKept} vs ${refGptq}`);
    if (!choice.keptTeq && firstDifference(gptq.quantized!, both.quantized!)) throw new Error("TEQ's scales dropped, but the codes are not GPTQ's");
  },
};

// Every method end to end on a tiny random LLaMA and OPT: the run finishes, frees every GPU tensor
// it allocated, and its quantized perplexity equals the float64 oracle's perplexity of the model
// rebuilt on the CPU from the stored codes, scales, zero points and transformed tensors.
import type { Gpu } from '../gpu/gpu';
import { randomModel } from '../formats/random-model';
import { runQuantization } from './run';
import type { RunConfig, RunEvent } from '../core/run-types';
import { DEFAULT_CONFIG } from '../methods/registry';
import { splitText } from './text-split';
import { evaluationWindows } from '../eval/windows';
import { windowNllRef } from '../reference/model';
import { dequantizedWeightsRef } from '../reference/quantize';

const TEXT = Array.from({ length: 400 }, (_, i) => `Story ${i}: the cat saw ${i % 7} birds and ${(i * 13) % 11} dogs.\n\n`).join('');

async function check(gpu: Gpu, shape: string, patch: Partial<RunConfig>) {
  const model = randomModel(shape, 1);
  const config: RunConfig = {
    ...DEFAULT_CONFIG,
    model: model.source,
    bits: 3,
    groupSize: 16,
    calibSamples: 4,
    seqLen: 16,
    evalWindows: 3,
    steps: 3,
    tqIters: 2,
    ...patch,
  };
  const split = splitText(TEXT, 'test text');
  // A first full-precision run fills the device-wide caches (RoPE tables) that outlive runs.
  await runQuantization({ gpu, model, split, config: { ...config, method: 'fp' } });
  const liveBefore = gpu.pool.liveBytes;
  const events: RunEvent[] = [];
  const { result, quantized } = await runQuantization({ gpu, model, split, config, onEvent: (e) => events.push(e) });
  const label = `${shape} ${config.method}${patch.teqLoss ? ` (${patch.teqLoss})` : ''}${patch.gptqActOrder ? ' (act-order)' : ''}`;
  if (result.status !== 'done') throw new Error(`${label}: ${result.status} ${result.error}`);
  if (gpu.pool.liveBytes !== liveBefore) throw new Error(`${label}: ${gpu.pool.liveBytes - liveBefore} bytes of GPU tensors were not released`);
  if (!quantized) throw new Error(`${label}: no quantized model`);
  // what a progress bar shows: within a phase's count, never a step back
  const furthest = new Map<string, number>();
  for (const e of events) {
    if (e.type !== 'progress') continue;
    const key = `${e.phase} of ${e.total}`;
    if (e.done < (furthest.get(key) ?? 0)) throw new Error(`${label}: progress of ${key} stepped back from ${furthest.get(key)} to ${e.done} (${e.detail})`);
    furthest.set(key, e.done);
  }
  const deq = dequantizedWeightsRef(quantized.linears);
  const src = new Map<string, Float32Array | Float64Array>();
  for (const n of model.weights.shapes.keys()) src.set(n, deq.get(n) ?? quantized.overrides.get(n) ?? (await model.weights.get(n)));
  const tokens = [model.tokenizer.bosId, ...model.tokenizer.encode(split.eval)];
  let nll = 0,
    count = 0;
  for (const w of evaluationWindows(tokens, config.seqLen, config.evalWindows)) {
    const r = windowNllRef(model.weights.config, (n) => src.get(n)!, w);
    nll += r.nll;
    count += r.count;
  }
  const ref = Math.exp(nll / count);
  if (Math.abs(result.pplQuant - ref) > 1e-4 * ref) throw new Error(`${label}: GPU perplexity ${result.pplQuant}, float64 oracle of the stored model ${ref}`);
  if (result.layerErrors.length !== quantized.linears.size)
    throw new Error(`${label}: ${result.layerErrors.length} layer errors for ${quantized.linears.size} layers`);
  if (!result.layerErrors.every((e) => e.relMse > 0 && e.relMse < 1))
    throw new Error(`${label}: implausible layer errors ${JSON.stringify(result.layerErrors)}`);
}

/** The same seed and config give the same codes and scales, bit for bit. */
async function checkReproducible(gpu: Gpu, patch: Partial<RunConfig>) {
  const model = randomModel('tiny-llama', 2);
  const config: RunConfig = {
    ...DEFAULT_CONFIG,
    model: model.source,
    bits: 2,
    groupSize: 16,
    calibSamples: 4,
    seqLen: 16,
    evalWindows: 1,
    steps: 3,
    tqIters: 2,
    seed: 5,
    ...patch,
  };
  const split = splitText(TEXT, 'test text');
  const a = (await runQuantization({ gpu, model, split, config })).quantized!;
  const b = (await runQuantization({ gpu, model, split, config })).quantized!;
  for (const [name, la] of a.linears) {
    const lb = b.linears.get(name)!;
    const same = (x: ArrayLike<number>, y: ArrayLike<number>) => x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]));
    if (!same(la.codes, lb.codes) || !same(la.scales, lb.scales) || !same(la.zeros, lb.zeros))
      throw new Error(`${config.method}: ${name} differs between two runs with seed ${config.seed}`);
  }
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'the same seed gives the same codes bit for bit (TEQ, TesseraQ)'(gpu) {
    await checkReproducible(gpu, { method: 'teq', teqLoss: 'block' });
    await checkReproducible(gpu, { method: 'tesseraq' });
  },
  async 'RTN and AWQ (LLaMA, OPT)'(gpu) {
    for (const shape of ['tiny-llama', 'tiny-opt']) for (const method of ['rtn', 'awq'] as const) await check(gpu, shape, { method });
  },
  async 'TEQ, LM loss and block loss (LLaMA, OPT)'(gpu) {
    for (const shape of ['tiny-llama', 'tiny-opt']) for (const teqLoss of ['lm', 'block'] as const) await check(gpu, shape, { method: 'teq', teqLoss });
  },
  async 'TesseraQ and TEQ then TesseraQ (LLaMA)'(gpu) {
    await check(gpu, 'tiny-llama', { method: 'tesseraq' });
    await check(gpu, 'tiny-llama', { method: 'teq+tesseraq' });
  },
  async 'AWQ, TEQ, TesseraQ and GPTQ on a LLaMA with biases on every Linear (granite-3b-code kind)'(gpu) {
    for (const patch of [{ method: 'awq' }, { method: 'teq', teqLoss: 'block' }, { method: 'tesseraq' }, { method: 'gptq' }] as const)
      await check(gpu, 'tiny-granite-code', patch);
  },
  async 'GPTQ (LLaMA, OPT, act-order), AWQ then GPTQ, TEQ then GPTQ'(gpu) {
    for (const shape of ['tiny-llama', 'tiny-opt']) await check(gpu, shape, { method: 'gptq' });
    await check(gpu, 'tiny-llama', { method: 'gptq', gptqActOrder: true });
    await check(gpu, 'tiny-llama', { method: 'awq+gptq' });
    await check(gpu, 'tiny-llama', { method: 'teq+gptq', teqLoss: 'block' });
  },
};

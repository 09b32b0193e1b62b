// Checkpoints as transformers saves them (formats/testing/hf-checkpoint-cases.ts) through the studio's
// loader and engine on the GPU: the full-precision perplexity against a float64 forward written from
// transformers' modeling code and read from config.json (not the studio's parser), and RTN, GPTQ, a
// few TEQ steps and TesseraQ iterations, each finishing with its quantized perplexity equal to the
// float64 oracle of the stored codes, scales, zero points and transformed tensors.
import type { Gpu } from '../../gpu/gpu';
import type { LoadedModel } from '../../core/model-config';
import type { RunConfig } from '../../core/run-types';
import { loadModelFromFiles } from '../../formats/load';
import { CHECKPOINT_CASES } from '../../formats/testing/hf-checkpoint-cases';
import { writeCheckpoint, type CheckpointCase } from '../../formats/testing/hf-checkpoint';
import { transformersLogits } from '../../formats/testing/transformers-twin';
import { DEFAULT_CONFIG } from '../../methods/registry';
import { evaluationWindows } from '../../eval/windows';
import { windowNllRef } from '../../reference/model';
import { dequantizedWeightsRef } from '../../reference/quantize';
import { runQuantization } from '../run';
import { splitText } from '../text-split';

const TEXT = Array.from({ length: 300 }, (_, i) => `the theater ${i} is in the north, then ${(i * 7) % 13} are at the inn.\n\n`).join('');

/** Mean next-token loss of the windows from transformers' logits. */
function twinPerplexity(config: Record<string, unknown>, tensors: Map<string, Float32Array>, windows: number[][]): number {
  let nll = 0,
    count = 0;
  const V = config.vocab_size as number;
  for (const w of windows) {
    const logits = transformersLogits(config, tensors, w);
    for (let t = 0; t + 1 < w.length; t++) {
      const row = logits.subarray(t * V, (t + 1) * V);
      const max = row.reduce((a, b) => Math.max(a, b), -Infinity);
      const z = row.reduce((a, b) => a + Math.exp(b - max), 0);
      nll += max + Math.log(z) - row[w[t + 1]];
      count++;
    }
  }
  return Math.exp(nll / count);
}

const byName = (n: string) => CHECKPOINT_CASES.find((c) => c.name === n)!;
const RTN_GPTQ: Partial<RunConfig>[] = [{ method: 'rtn' }, { method: 'gptq' }];
const TRAINED: Partial<RunConfig>[] = [{ method: 'teq', teqLoss: 'lm' }, { method: 'tesseraq' }];

/** The checkpoint cases that also run TEQ and TesseraQ (minutes each on SwiftShader), split over two
 *  GPU test modules so each stays well inside a test's time limit on a 2-core machine. */
export const TRAINED_CASES = {
  // head_dim != hidden/heads with llama3 RoPE, one KV head and a tied head; Phi-4-mini's partial
  // rotary (the pass-through pairs turning at frequency 0 in both directions); SmolLM3's NoPE layers.
  rope: ['Llama-3.2-style-v5', 'Phi-4-mini-partial-rotary-style', 'SmolLM3-style'],
  // q/k/v biases; Qwen3's q/k norms and post-norm OPT (norms after the residual sums, the embedding's
  // projections): TEQ's and TesseraQ's backward through them, and AWQ's search with them.
  norms: ['Qwen2.5-style', 'Qwen3-0.6B-style', 'OPT-350m-style'],
};
/** Every case of TRAINED_CASES. */
export const TRAINED_NAMES: ReadonlySet<string> = new Set([...TRAINED_CASES.rope, ...TRAINED_CASES.norms]);
const WITH_AWQ = ['Qwen3-0.6B-style', 'OPT-350m-style'];

/** GPU test cases for the named checkpoint cases: fp against transformers, RTN and GPTQ, and TEQ,
 *  TesseraQ (and AWQ) for those named in TRAINED_CASES. */
export function checkpointCases(names: string[]): Record<string, (gpu: Gpu) => Promise<void>> {
  const cases: Record<string, (gpu: Gpu) => Promise<void>> = {};
  for (const name of names) {
    const t = TRAINED_NAMES.has(name);
    const awq = WITH_AWQ.includes(name);
    const methods = [...RTN_GPTQ, ...(t ? TRAINED : []), ...(awq ? [{ method: 'awq' as const }] : [])];
    cases[`${name}: fp against transformers, RTN, GPTQ${t ? ', TEQ, TesseraQ' : ''}${awq ? ', AWQ' : ''}`] = (gpu) => checkCase(gpu, byName(name), methods);
  }
  return cases;
}

async function checkCase(gpu: Gpu, k: CheckpointCase, methods: Partial<RunConfig>[]) {
  const written = writeCheckpoint(k);
  const model: LoadedModel = await loadModelFromFiles(written.files);
  const config: RunConfig = {
    ...DEFAULT_CONFIG,
    model: model.source,
    bits: 4,
    groupSize: 32,
    calibSamples: 4,
    seqLen: 16,
    evalWindows: 2,
    steps: 3,
    tqIters: 2,
  };
  const split = splitText(TEXT, 'test text');
  const tokens = [model.tokenizer.bosId, ...model.tokenizer.encode(split.eval)];
  const windows = evaluationWindows(tokens, config.seqLen, config.evalWindows).map((w) => [...w]);
  const fp = await runQuantization({ gpu, model, split, config: { ...config, method: 'fp' } });
  if (fp.result.status !== 'done') throw new Error(`${k.name} fp: ${fp.result.status} ${fp.result.error}`);
  const want = twinPerplexity(written.config, written.tensors, windows);
  if (!(Math.abs(fp.result.pplFp - want) <= 1e-4 * want)) throw new Error(`${k.name}: GPU fp perplexity ${fp.result.pplFp}, transformers twin ${want}`);
  for (const patch of methods) {
    const label = `${k.name} ${patch.method}`;
    const { result, quantized } = await runQuantization({ gpu, model, split, config: { ...config, ...patch } });
    if (result.status !== 'done' || !quantized) throw new Error(`${label}: ${result.status} ${result.error}`);
    const deq = dequantizedWeightsRef(quantized.linears);
    const src = new Map<string, Float32Array | Float64Array>();
    for (const n of model.weights.shapes.keys()) src.set(n, deq.get(n) ?? quantized.overrides.get(n) ?? (await model.weights.get(n)));
    let nll = 0,
      count = 0;
    for (const w of windows) {
      const r = windowNllRef(model.weights.config, (n) => src.get(n)!, w);
      nll += r.nll;
      count += r.count;
    }
    const ref = Math.exp(nll / count);
    if (!(Math.abs(result.pplQuant - ref) <= 1e-4 * ref))
      throw new Error(`${label}: GPU perplexity ${result.pplQuant}, float64 oracle of the stored model ${ref}`);
    if (!(Math.abs(result.pplFp - want) <= 1e-4 * want)) throw new Error(`${label}: fp perplexity ${result.pplFp}, transformers twin ${want}`);
  }
}

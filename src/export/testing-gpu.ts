// GPU test helper: the studio's own run (runQuantization) on the bundled stories260K (or a given model), whose
// quantized perplexity is what every exported file must reproduce.
import type { Gpu } from '../gpu/gpu';
import type { LoadedModel } from '../core/model-config';
import { loadBundled } from '../formats/load';
import { runQuantization } from '../engine/run';
import type { RunConfig, RunResult } from '../core/run-types';
import { DEFAULT_CONFIG } from '../methods/registry';
import { splitText } from '../engine/text-split';
import type { QuantizedModel } from '../quant/quantized-model';

export interface StudioRun {
  model: LoadedModel;
  quantized: QuantizedModel;
  result: RunResult;
  /** [BOS] + encode(evaluation text): the tokens the studio's perplexity used. */
  evalTokens: number[];
}

/** SwiftShader is slow: short windows, few of them, one calibration sample. The bundled model unless given. */
export async function studioRun(gpu: Gpu, over: Partial<RunConfig>, given?: LoadedModel): Promise<StudioRun> {
  const model = given ?? (await loadBundled('/models/', { format: 'gguf' }));
  const text = await (await fetch('/data/tinystories_val.txt')).text();
  const split = splitText(text.slice(0, 120_000), 'tinystories');
  const config: RunConfig = { ...DEFAULT_CONFIG, method: 'rtn', calibSamples: 1, seqLen: 128, evalWindows: 3, ...over };
  const { result, quantized } = await runQuantization({ gpu, model, split, config });
  if (!quantized || result.status !== 'done') throw new Error(`the run did not finish: ${result.status} ${result.error ?? ''}`);
  const evalTokens = [model.tokenizer.bosId, ...model.tokenizer.encode(split.eval)];
  return { model, quantized, result, evalTokens };
}

export function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}

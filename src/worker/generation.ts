// Text generation for the side-by-side comparison: the loaded fp32 model or the latest quantized
// one, from the same prompt and seed. Weights go to the GPU for the call and are released after.
import type { Gpu } from '../gpu/gpu';
import type { LoadedModel } from '../core/model-config';
import { loadGlobals, releaseGlobals, SourceBlocks } from '../model/gpu-model';
import { QuantizedBlocks, type QuantizedModel } from '../quant/quantized-model';
import { generate } from '../eval/generate';
import type { GenerateRequest } from './protocol';

export async function generateText(
  gpu: Gpu,
  model: LoadedModel,
  quantized: QuantizedModel | null,
  req: GenerateRequest,
  signal: AbortSignal,
  onText: (textSoFar: string) => void,
): Promise<string> {
  const cfg = model.weights.config;
  const prompt = [model.tokenizer.bosId, ...model.tokenizer.encode(req.prompt)];
  const globals = await loadGlobals(gpu, model.weights);
  const blocks = quantized ? new QuantizedBlocks(gpu, model.weights, quantized, true) : new SourceBlocks(gpu, model.weights, true);
  const produced: number[] = [];
  try {
    await generate(gpu, cfg, globals, blocks, prompt, {
      maxNewTokens: req.maxNewTokens,
      temperature: req.temperature,
      seed: req.seed,
      stopAtEos: true,
      signal,
      onToken: (id) => {
        if (id === cfg.eosId) return;
        produced.push(id);
        onText(model.tokenizer.decode(produced));
      },
    });
    return model.tokenizer.decode(produced);
  } finally {
    blocks.release();
    releaseGlobals(globals);
  }
}

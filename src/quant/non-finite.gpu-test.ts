// A non-finite loss stops TesseraQ's block (or TEQ's LM training), rolls it back and retries with a
// smaller learning rate; when it diverges again the run stops with a message naming the block and the layer.
import type { Gpu } from '../gpu/gpu';
import { randomModel } from '../model/random-model';
import { runQuantization } from '../engine/run';
import { DEFAULT_CONFIG, type RunConfig, type RunEvent } from '../engine/run-types';
import { splitText } from '../engine/text-split';

/** tiny-llama with one NaN in block 1's q_proj weight. */
function poisonedModel() {
  const base = randomModel('tiny-llama', 3);
  const poisoned = 'model.layers.1.self_attn.q_proj.weight';
  return {
    ...base,
    weights: {
      ...base.weights,
      get: async (name: string) => {
        const t = await base.weights.get(name);
        if (name === poisoned) t[5] = NaN;
        return t;
      },
    },
  };
}

/** Runs until the error; returns it with the run's log lines. */
async function failingRun(gpu: Gpu, patch: Partial<RunConfig>): Promise<{ error: Error; logs: string[] }> {
  const model = poisonedModel();
  const config: RunConfig = { ...DEFAULT_CONFIG, model: model.source, bits: 3, groupSize: 16, calibSamples: 4, seqLen: 16, evalWindows: 1, tqIters: 2, steps: 3, ...patch };
  const text = Array.from({ length: 200 }, (_, i) => `Line ${i} of the text.\n\n`).join('');
  const logs: string[] = [];
  const onEvent = (e: RunEvent) => e.type === 'log' && logs.push(e.message);
  try {
    await runQuantization({ gpu, model, split: splitText(text), config, onEvent });
  } catch (e) {
    return { error: e as Error, logs };
  }
  throw new Error(`${config.method}: the run finished despite a NaN weight`);
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'a NaN weight in block 1: rolled back, retried, then stopped naming block 1 and the layer'(gpu) {
    const { error, logs } = await failingRun(gpu, { method: 'tesseraq' });
    if (!/block 1, layer q/.test(error.message) || !/diverged again/.test(error.message)) throw new Error(`unclear message: ${error.message}`);
    if (!logs.some((l) => /Rolling block 1 back/.test(l))) throw new Error(`no rollback was reported: ${logs.join(' | ')}`);
    if (logs.some((l) => /Rolling block 0 back/.test(l))) throw new Error('block 0 was rolled back although it is finite');
  },
  async 'TEQ with the LM loss, a NaN weight in block 1: rolled back, retried at lr/10, then stopped naming block 1 and the layer'(gpu) {
    const { error, logs } = await failingRun(gpu, { method: 'teq', teqLoss: 'lm' });
    if (!/block 1, layer q/.test(error.message) || !/diverged again/.test(error.message)) throw new Error(`unclear message: ${error.message}`);
    if (!logs.some((l) => /Rolling back to step 0 and retrying with a tenth/.test(l))) throw new Error(`no rollback was reported: ${logs.join(' | ')}`);
  },
};

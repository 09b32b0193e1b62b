// A non-finite loss stops TesseraQ's block (or TEQ's LM training), rolls it back and retries with a
// smaller learning rate; when it diverges again the run stops with a message naming the block and the layer.
import type { Gpu } from '../gpu/gpu';
import { randomModel } from '../formats/random-model';
import { runQuantization } from '../engine/run';
import type { RunConfig, RunEvent } from '../core/run-types';
import { DEFAULT_CONFIG } from '../methods/registry';
import { splitText } from '../engine/text-split';
import { calibrationSamples } from '../engine/calibration';
import { MemoryCheckpointStore } from '../engine/checkpoint-store';
import { SeekableRandom } from './seekable-random';
import { pickSequences } from './method-context';
import { teqHoldoutWindows } from './teq-holdout';

/** tiny-llama with one NaN in a weight of block 1 (its q_proj unless told). */
function poisonedModel(poisoned = 'model.layers.1.self_attn.q_proj.weight') {
  const base = randomModel('tiny-llama', 3);
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
async function failingRun(gpu: Gpu, patch: Partial<RunConfig>, poisoned?: string): Promise<{ error: Error; logs: string[] }> {
  const model = poisonedModel(poisoned);
  const config: RunConfig = {
    ...DEFAULT_CONFIG,
    model: model.source,
    bits: 3,
    groupSize: 16,
    calibSamples: 4,
    seqLen: 16,
    evalWindows: 1,
    tqIters: 2,
    steps: 3,
    ...patch,
  };
  const text = Array.from({ length: 200 }, (_, i) => `Line ${i} of the text.\n\n`).join('');
  const logs: string[] = [];
  const onEvent = (e: RunEvent) => e.type === 'log' && logs.push(e.message);
  try {
    // A given fp perplexity: evaluating the poisoned model would fail first (a non-finite perplexity).
    await runQuantization({ gpu, model, split: splitText(text), config, onEvent, pplFp: 1 });
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
  async "TesseraQ, a NaN in block 1's up_proj: the message names up_proj, not the first Linear its gradients spread the NaN to"(gpu) {
    const { error } = await failingRun(gpu, { method: 'tesseraq' }, 'model.layers.1.mlp.up_proj.weight');
    if (!/block 1, layer up\b/.test(error.message) || !error.message.includes('model.layers.1.mlp.up_proj.weight holds 1 non-finite value'))
      throw new Error(`the message does not name up_proj: ${error.message}`);
  },
  async 'TEQ with the LM loss, a NaN weight in block 1: rolled back, retried at lr/10, then stopped naming block 1 and the layer'(gpu) {
    const { error, logs } = await failingRun(gpu, { method: 'teq', teqLoss: 'lm' });
    if (!/block 1, layer q/.test(error.message) || !/diverged again/.test(error.message)) throw new Error(`unclear message: ${error.message}`);
    if (!logs.some((l) => /Rolling back to step 0 and retrying with a tenth/.test(l))) throw new Error(`no rollback was reported: ${logs.join(' | ')}`);
  },
  async "TEQ with the block loss, a NaN in block 1's up_proj: the message names it"(gpu) {
    const { error } = await failingRun(gpu, { method: 'teq', teqLoss: 'block' }, 'model.layers.1.mlp.up_proj.weight');
    if (!/block 1, layer up\b/.test(error.message) || !error.message.includes('model.layers.1.mlp.up_proj.weight holds 1 non-finite value'))
      throw new Error(`the message does not name up_proj: ${error.message}`);
  },
  async 'TEQ with the LM loss, a NaN that first appears at a later step: rolled back to the last finite step, not the start'(gpu) {
    const base = randomModel('tiny-llama', 3);
    const config: RunConfig = {
      ...DEFAULT_CONFIG,
      model: base.source,
      method: 'teq',
      teqLoss: 'lm',
      teqInit: 'ones',
      bits: 3,
      groupSize: 16,
      calibSamples: 4,
      seqLen: 16,
      evalWindows: 1,
      steps: 6,
      seed: 2,
    };
    const text = Array.from({ length: 200 }, (_, i) => `Line ${i} of the text, ${String.fromCharCode(65 + (i % 26))}.\n\n`).join('');
    const split = splitText(text);
    // Independently of the trainer: the sequence each step draws (one per step, TEQ's LM sampler),
    // and a token that first enters at step s ≥ 2; its embedding row becomes NaN.
    const calib = calibrationSamples([base.tokenizer.bosId, ...base.tokenizer.encode(split.calib)], config.calibSamples, config.seqLen, config.seed);
    const rand = new SeekableRandom(config.seed + 29);
    const seen = new Set<number>();
    let poison: { step: number; token: number } | null = null;
    const trainWindows = config.calibSamples - teqHoldoutWindows(config.calibSamples, config.teqHoldout);
    for (let step = 0; step < config.steps && !poison; step++) {
      const seq = pickSequences(rand.next, trainWindows, 1)[0];
      const ids = Array.from(calib.subarray(seq * config.seqLen, (seq + 1) * config.seqLen));
      const fresh = ids.find((t) => !seen.has(t));
      if (step >= 2 && fresh !== undefined) poison = { step, token: fresh };
      ids.forEach((t) => seen.add(t));
    }
    if (!poison) throw new Error('the test text gives no step with a new token; change the text or the seed');
    const hidden = base.weights.config.hidden;
    const model = {
      ...base,
      weights: {
        ...base.weights,
        get: async (name: string) => {
          const t = (await base.weights.get(name)).slice();
          if (name === 'model.embed_tokens.weight') t.fill(NaN, poison!.token * hidden, (poison!.token + 1) * hidden);
          return t;
        },
      },
    };
    const events: RunEvent[] = [];
    let error: Error | null = null;
    try {
      // Checkpoints at every step, so every step is also checked and is a rollback point.
      await runQuantization({
        gpu,
        model,
        split,
        config,
        onEvent: (e) => events.push(e),
        checkpoints: new MemoryCheckpointStore(),
        checkpointEverySeconds: 0,
        pplFp: 1,
      });
    } catch (e) {
      error = e as Error;
    }
    if (!error) throw new Error('the run finished despite a NaN embedding');
    if (!/diverged again/.test(error.message) || !/block \d+, layer /.test(error.message)) throw new Error(`unclear message: ${error.message}`);
    const rollback = events.findIndex((e) => e.type === 'log' && /Rolling back to step/.test(e.message));
    if (rollback < 0) throw new Error('no rollback was reported');
    const message = (events[rollback] as { message: string }).message;
    if (!message.includes(`Rolling back to step ${poison.step} and retrying with a tenth`))
      throw new Error(`expected a rollback to step ${poison.step}: ${message}`);
    const redone = events.slice(rollback).find((e) => e.type === 'progress' && e.phase === 'teq' && e.done <= poison!.step);
    if (redone) throw new Error(`steps before the rollback point were trained again: ${JSON.stringify(redone)}`);
  },
};

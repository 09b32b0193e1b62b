// Named groups of settings. Each preset says exactly which fields it sets, and the studio shows
// that list when it is applied, so nothing changes behind the person's back.
import type { Method, RunConfig } from '../engine/run-types';

export interface PresetContext {
  method: Method;
  /** The loaded model's context length, when known: sequence lengths are capped to it. */
  maxPositions?: number;
}

export interface Preset {
  id: 'quick' | 'paper';
  label: string;
  summary: string;
  settings(ctx: PresetContext): Partial<RunConfig>;
}

/** Whether a method runs this part (combined methods are named 'first+second'). */
const uses = (m: Method, part: 'teq' | 'tesseraq' | 'gptq') => m.split('+').includes(part);
const capSeq = (seq: number, ctx: PresetContext) => (ctx.maxPositions ? Math.min(seq, ctx.maxPositions) : seq);

export const PRESETS: Preset[] = [
  {
    id: 'quick',
    label: 'Quick demo',
    summary: 'Small calibration set and few steps (TEQ: block loss from scales of 1, no AWQ search): about a minute on the bundled model, even on a software GPU.',
    settings: (ctx) => ({
      calibSamples: 8,
      seqLen: capSeq(64, ctx),
      evalWindows: 4,
      ...(uses(ctx.method, 'teq') ? { steps: 10, teqLoss: 'block' as const, teqInit: 'ones' as const } : {}),
      ...(uses(ctx.method, 'tesseraq') ? { tqIters: 5, tqSchedule: 'short10' as const, tqBatch: 4 } : {}),
    }),
  },
  {
    id: 'paper',
    label: 'Paper settings',
    summary:
      'The published recipes (docs/algorithms.md): TEQ 1000 Adam steps at lr 1e-3 on the LM loss from α = 1 with 512-token sequences; ' +
      'TesseraQ 512 samples × 2048 tokens, 20 hardening rounds × 250 iterations, batch 4, lr 1e-3, AWQ init; ' +
      'GPTQ 128 samples × 2048 tokens, 1% dampening, no act-order, batches of 128 columns; ' +
      'perplexity on every WikiText-2 window. Hours on a real GPU.',
    settings: (ctx) => {
      const out: Partial<RunConfig> = { text: 'wikitext2', evalWindows: 0 };
      if (ctx.method === 'awq') Object.assign(out, { calibSamples: 128, seqLen: capSeq(512, ctx) });
      if (uses(ctx.method, 'teq')) {
        Object.assign(out, { steps: 1000, lr: 1e-3, teqLoss: 'lm', teqEstimator: 'ste-full', teqInit: 'ones', calibSamples: 1000, seqLen: capSeq(512, ctx) });
      }
      if (uses(ctx.method, 'tesseraq')) {
        Object.assign(out, { tqIters: 250, tqSchedule: 'paper20', tqBatch: 4, tqLr: 1e-3, calibSamples: 512, seqLen: capSeq(2048, ctx), symmetric: false });
      }
      if (uses(ctx.method, 'gptq')) {
        Object.assign(out, { gptqDamp: 0.01, gptqActOrder: false, gptqBlockSize: 128, calibSamples: 128, seqLen: capSeq(2048, ctx) });
      }
      return out;
    },
  },
];

/** "steps 10, lr 0.005", the list shown after a preset is applied. */
export function describeSettings(patch: Partial<RunConfig>): string {
  return Object.entries(patch)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
}

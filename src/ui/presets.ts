// Named groups of settings. Each preset says exactly which fields it sets, and the studio shows
// that list when it is applied, so nothing changes behind the person's back. What a preset sets
// for a method's own settings comes from its descriptor (src/methods/<name>/).
import type { Method, RunConfig } from '../core/run-types';
import { METHODS } from '../methods/registry';
import { capSeq } from '../methods/types';

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


export const PRESETS: Preset[] = [
  {
    id: 'quick',
    label: 'Quick demo',
    summary: 'Small calibration set and few steps (TEQ: block loss from scales of 1, no AWQ search): about a minute on the bundled model, even on a software GPU.',
    settings: (ctx) => ({
      calibSamples: 8,
      seqLen: capSeq(64, ctx),
      evalWindows: 4,
      ...METHODS[ctx.method].presets.quick?.(ctx),
    }),
  },
  {
    id: 'paper',
    label: 'Paper settings',
    summary:
      'The published recipes (docs/algorithms.md): TEQ 1000 Adam steps at lr 1e-3 on the LM loss from α = 1 with 512-token sequences; ' +
      'TesseraQ 512 samples × 2048 tokens, 20 hardening rounds × 250 iterations, batch 4, lr 1e-3, AWQ init; ' +
      'GPTQ 128 samples × 2048 tokens with AutoGPTQ’s defaults (1% dampening, batches of 128 columns, no act-order); ' +
      'perplexity on every WikiText-2 window. Hours on a real GPU.',
    settings: (ctx) => {
      const out: Partial<RunConfig> = { text: 'wikitext2', evalWindows: 0 };
      return Object.assign(out, METHODS[ctx.method].presets.paper?.(ctx));
    },
  },
];

/** "steps 10, lr 0.005", the list shown after a preset is applied. */
export function describeSettings(patch: Partial<RunConfig>): string {
  return Object.entries(patch)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
}

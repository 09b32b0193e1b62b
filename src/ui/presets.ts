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
  /** The GPU is a software adapter (SwiftShader, llvmpipe, WARP): a quick demo has to be smaller. */
  software?: boolean;
}

export interface Preset {
  id: 'quick' | 'paper';
  label: string;
  summary(ctx: PresetContext): string;
  settings(ctx: PresetContext): Partial<RunConfig>;
}

/** A CPU rasteriser posing as a GPU: the adapter says so, or its name does. */
export function isSoftwareAdapter(report: { isFallbackAdapter: boolean; vendor: string; architecture: string; device: string; description: string }): boolean {
  return (
    report.isFallbackAdapter ||
    /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|microsoft basic render/i.test(
      [report.vendor, report.architecture, report.device, report.description].join(' '),
    )
  );
}

export const PRESETS: Preset[] = [
  {
    id: 'quick',
    label: 'Quick demo',
    summary: (ctx) =>
      ctx.software
        ? 'Sized for this software adapter (no GPU: every kernel runs on the CPU): 4 calibration sequences of 32 tokens, 2 evaluation windows, ' +
          'TEQ 4 block-loss steps from scales of 1, TesseraQ 10 rounds of 2 iterations on batches of 2. Run shows the expected time before you start, ' +
          'from the speed this device measured in its last run; shaders compile on the first run, which makes it the slowest.'
        : 'Small calibration set and few steps (TEQ: block loss from scales of 1, no AWQ search; TesseraQ: 10 rounds of 5 iterations): ' +
          'about a minute on the bundled model on a GPU. Run shows the expected time before you start.',
    settings: (ctx) => ({
      ...(ctx.software ? { calibSamples: 4, seqLen: capSeq(32, ctx), evalWindows: 2 } : { calibSamples: 8, seqLen: capSeq(64, ctx), evalWindows: 4 }),
      ...METHODS[ctx.method].presets.quick?.(ctx),
    }),
  },
  {
    id: 'paper',
    label: 'Paper settings',
    summary: () =>
      "The published recipes. TEQ (Cheng et al., arXiv 2310.10944; Intel Neural Compressor): 1000 Adam steps at lr 1e-3 on the model's own next-token loss, one " +
      '512-token sequence a step, scales starting at 1, the straight-through estimator through the whole quantizer. TesseraQ (Li & Panda, arXiv 2410.19103): AWQ ' +
      'scales and clipping first, then 512 calibration samples × 2048 tokens, 20 hardening rounds × 250 iterations on batches of 4, ' +
      'lr 1e-3, asymmetric groups. AWQ: 128 samples × 512 tokens. GPTQ (Frantar et al., arXiv 2210.17323) as AutoGPTQ runs it: ' +
      '128 samples × 2048 tokens, 1% dampening, batches of 128 columns, no act-order. Perplexity on every WikiText-2 test window. Hours on a real GPU.',
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

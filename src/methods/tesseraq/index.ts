// TesseraQ: progressive adaptive rounding and dequantization-scale tuning, block by block, from
// AWQ (src/quant/tesseraq.ts). Its fields, memory and presets are also TEQ -> TesseraQ's second half.
import { runTesseraq } from '../../quant/tesseraq-methods';
import { tesseraqSchedule } from '../../core/tesseraq-schedule';
import { choiceField, integerField, positiveRealField } from '../fields';
import { capSeq, type MemoryInputs, type MethodDescriptor, type PresetContext } from '../types';
import type { RunConfig } from '../../core/run-types';

export const TESSERAQ_FIELDS = [
  integerField('tqIters', 1, 100000, 10, { label: 'Iterations per round', help: 'Adam steps after each hardening round.' }),
  choiceField('tqSchedule', ['paper20', 'short10'] as const, 'short10', {
    label: 'Hardening schedule',
    choices: [
      { value: 'short10', label: '10 rounds (LLaMA-3.2 configs)' },
      { value: 'paper20', label: '20 rounds (paper)' },
    ],
  }),
  integerField('tqBatch', 1, 512, 4, { label: 'Batch (sequences)' }),
  positiveRealField('tqLr', 1, 1e-3, 1e-7, { label: 'TesseraQ learning rate', help: 'Adam step size for rounding logits and dequantization scales.' }),
  choiceField('tqInitInput', ['quantized', 'fp'] as const, 'quantized', {
    label: 'AWQ initialisation searched on',
    choices: [
      { value: 'quantized', label: 'quantized-chain inputs' },
      { value: 'fp', label: 'full-precision inputs (LLMC load_transform)' },
    ],
  }),
];

export const TESSERAQ_SETTINGS = { title: 'TesseraQ rounding', fields: TESSERAQ_FIELDS.map((f) => f.key) };

export function tesseraqMemory(m: MemoryInputs): number {
  const { config, L, act, globalsBytes, blockBytes, calibX, awqCore } = m;
  const batch = Math.min(config.tqBatch, config.calibSamples) * L;
  // weights, rounding logits, state, Adam m and v, soft weights, gradients; inputs and targets
  return globalsBytes + 2 * calibX + Math.max(awqCore, calibX + 8 * blockBytes + 2 * batch * act * 4);
}

export const tesseraqQuick = (ctx: PresetContext): Partial<RunConfig> =>
  ctx.software ? { tqIters: 2, tqSchedule: 'short10' as const, tqBatch: 2 } : { tqIters: 5, tqSchedule: 'short10' as const, tqBatch: 4 };
export const tesseraqPaper = (ctx: PresetContext): Partial<RunConfig> => ({
  tqIters: 250,
  tqSchedule: 'paper20',
  tqBatch: 4,
  tqLr: 1e-3,
  calibSamples: 512,
  seqLen: capSeq(2048, ctx),
  symmetric: false,
});
export const tesseraqSummary = (c: RunConfig) => ` · ${c.tqSchedule} × ${c.tqIters} iterations`;

export const tesseraq: MethodDescriptor = {
  name: 'tesseraq',
  label: 'TesseraQ',
  description: 'Progressive adaptive rounding and dequantization-scale tuning, block by block, starting from AWQ.',
  phaseLabel: 'TesseraQ rounding',
  fields: TESSERAQ_FIELDS,
  settings: [TESSERAQ_SETTINGS],
  presets: { quick: tesseraqQuick, paper: tesseraqPaper },
  resumable: true,
  longRunning: true,
  run: runTesseraq,
  memory: (m) => ({ phases: { tesseraq: tesseraqMemory(m) } }),
  bench: (s, config, layers) => {
    const rounds = tesseraqSchedule(config.tqSchedule).length;
    // the rounds alone where the run timed them (the block's loading, target, AWQ and store apart)
    const train = s['tesseraq-rounds'] ?? s.tesseraq - (s['tesseraq-init'] ?? 0);
    const tqSecondsPerBlock = train / layers;
    const tqSecondsPerRound = tqSecondsPerBlock / rounds;
    return { tqSecondsPerBlock, tqSecondsPerRound, tqSecondsPer250Round: (tqSecondsPerRound / config.tqIters) * 250 };
  },
  summary: tesseraqSummary,
  inspect: { scales: 'none' },
};

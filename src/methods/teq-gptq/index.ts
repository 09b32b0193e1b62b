// TEQ, then GPTQ on the TEQ-folded model (src/quant/gptq-methods.ts): TEQ's settings and GPTQ's.
// The run times both as one phase, so its memory is the larger of the two.
import { runTeqThenGptq } from '../../quant/gptq-methods';
import { TEQ_FIELDS, TEQ_SETTINGS, teqPartials, teqMemory, teqPaper, teqQuick, teqSummary } from '../teq';
import { GPTQ_FIELDS, GPTQ_SETTINGS, gptqMemory, gptqPaper, gptqQuick, gptqSummary, gptqTensors } from '../gptq';
import type { MethodDescriptor } from '../types';

export const teqGptq: MethodDescriptor = {
  name: 'teq+gptq',
  label: 'TEQ → GPTQ',
  description: 'TEQ scales first, then GPTQ on the transformed weights, keeping the scales only where clearly better than GPTQ alone on held-out windows.',
  phaseLabel: 'TEQ, then GPTQ',
  fields: [...TEQ_FIELDS, ...GPTQ_FIELDS],
  settings: [TEQ_SETTINGS, GPTQ_SETTINGS],
  presets: {
    quick: (ctx) => ({ ...teqQuick(ctx), ...gptqQuick() }),
    // TEQ's recipe, then GPTQ's settings and its calibration set (128 samples of 2048 tokens) on top
    paper: (ctx) => ({ ...teqPaper(ctx), ...gptqPaper(ctx) }),
  },
  resumable: true,
  longRunning: true,
  run: runTeqThenGptq,
  memory: (m) => ({
    phases: { 'teq+gptq': Math.max(teqMemory(m, m.config.teqInit === 'awq'), gptqMemory(m, false)) },
    tensors: [...gptqTensors(m), teqPartials(m)],
  }),
  bench: (s, config, layers) => ({
    teqStepsPerSecond: s.teq ? (config.teqLoss === 'block' ? config.steps * layers : config.steps) / s.teq : undefined,
    gptqSecondsPerBlock: s.gptq / layers,
  }),
  summary: (c) => teqSummary(c) + gptqSummary(c),
  inspect: { scales: 'trained', errorFeedback: true },
};

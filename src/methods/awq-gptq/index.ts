// AWQ's scales (no clipping: GPTQ's error feedback takes the clip's place), then GPTQ on the
// scaled weights, block by block (src/quant/gptq-methods.ts): GPTQ's settings, one phase.
import { runAwqThenGptq } from '../../quant/gptq-methods';
import { GPTQ_FIELDS, GPTQ_SETTINGS, gptqMemory, gptqPaper, gptqQuick, gptqSummary, gptqTensors } from '../gptq';
import type { MethodDescriptor } from '../types';

export const awqGptq: MethodDescriptor = {
  name: 'awq+gptq',
  label: 'AWQ → GPTQ',
  description: 'AWQ’s scales (no clipping) first, then GPTQ on the scaled weights.',
  phaseLabel: 'AWQ scales, then GPTQ',
  fields: GPTQ_FIELDS,
  settings: [GPTQ_SETTINGS],
  presets: { quick: gptqQuick, paper: gptqPaper },
  resumable: true,
  longRunning: true,
  run: runAwqThenGptq,
  memory: (m) => ({ phases: { 'awq+gptq': gptqMemory(m, true) }, tensors: gptqTensors(m) }),
  // the AWQ search of each block is inside the block's time
  bench: (s, _config, layers) => ({ gptqSecondsPerBlock: s['awq+gptq'] / layers }),
  summary: gptqSummary,
  inspect: { scales: 'searched', errorFeedback: true },
};

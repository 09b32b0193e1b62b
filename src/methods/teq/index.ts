// TEQ: per-channel scales trained with Adam through a straight-through estimator, folded into the
// norms (src/quant/teq.ts). Its fields, memory and presets are also TEQ -> TesseraQ's first half.
import { runTeq } from '../../quant/teq';
import { choiceField, fractionField, integerField, positiveRealField } from '../fields';
import { capSeq, type MemoryInputs, type MethodDescriptor, type PresetContext } from '../types';
import type { RunConfig } from '../../core/run-types';

export const TEQ_FIELDS = [
  integerField('steps', 0, 100000, 20, {
    label: 'TEQ steps',
    help: (c) => (c.teqLoss === 'block' ? 'Adam steps per block.' : 'Adam steps on the whole model.'),
  }),
  positiveRealField('lr', 1, 5e-3, 1e-7, { label: 'TEQ learning rate', help: 'Adam step size for the scales.' }),
  choiceField('teqLoss', ['lm', 'block'] as const, 'lm', {
    label: 'Loss',
    choices: [
      { value: 'block', label: 'Block output MSE vs fp32' },
      { value: 'lm', label: 'Language-model cross-entropy (paper)' },
    ],
  }),
  choiceField('teqEstimator', ['ste-full', 'ste-round'] as const, 'ste-round', {
    label: 'Gradient estimator',
    choices: [
      { value: 'ste-round', label: 'STE through rounding only' },
      { value: 'ste-full', label: 'STE through the whole quantizer (INC)' },
    ],
  }),
  choiceField('teqInit', ['ones', 'awq', 'awq-clip'] as const, 'awq-clip', {
    label: 'Scale initialisation',
    choices: [
      { value: 'awq-clip', label: "AWQ's result (scales and clipping)" },
      { value: 'awq', label: 'AWQ scales only' },
      { value: 'ones', label: 'Ones (paper)' },
    ],
  }),
  fractionField('teqHoldout', 0.5, 0.125, {
    label: 'Held-out share',
    help: 'Calibration windows kept out of training. The start is scored on them, and a later step replaces the kept scales only where clearly better (by two standard errors of the per-window difference). 0: train on all, keep the last.',
  }),
];

export const TEQ_SETTINGS = { title: 'TEQ training', fields: TEQ_FIELDS.map((f) => f.key) };

/** TEQ's phase; awqInside: whether an AWQ search runs inside it (its initialisation). */
export function teqMemory(m: MemoryInputs, awqInside: boolean): number {
  const { cfg, config, L, act, globalsBytes, blockBytes, calibX, awqCore } = m;
  const F = 4;
  const partials = teqPartials(m).bytes;
  if (config.teqLoss === 'lm') {
    // every block resident twice (source weights, effective fake-quantized copies) with its
    // trainer's column sums, plus one block's weight gradients; saved activations of one sequence
    // and its logits, their softmax and gradient, and one vocabulary range's logits (or gradient)
    // beside them
    const lmActs = L * act * F * cfg.layers + (3 * cfg.vocab + m.rangeCols) * L * F + blockBytes;
    return globalsBytes + cfg.layers * (2 * blockBytes + partials) + Math.max(awqInside ? awqCore : 0, lmActs);
  }
  // the block, its effective weights, its weight gradients and the trainer's column sums
  const batch = Math.min(4, config.calibSamples) * L;
  return globalsBytes + calibX + Math.max(awqInside ? awqCore : 0, 3 * calibX + 3 * blockBytes + partials + 2 * batch * act * F);
}

/**
 * The trainer's buffer of one block's dα column sums a chunk of rows (ops/teq.ts teqChunks): chunks
 * of at least 16 rows make it at most a sixteenth of the block's weights, plus one part chunk's row
 * for each of the block's (at most four) groups.
 */
export const teqPartials = (m: MemoryInputs) => {
  const widest = Math.max(m.cfg.hidden, m.cfg.intermediate, m.cfg.heads * m.cfg.headDim);
  return { name: "TEQ's dα column sums of one block", bytes: Math.ceil(m.blockBytes / 16) + 4 * 4 * widest };
};

export const teqQuick = (ctx: PresetContext): Partial<RunConfig> => ({ steps: ctx.software ? 4 : 10, teqLoss: 'block' as const, teqInit: 'ones' as const });
export const teqPaper = (ctx: PresetContext): Partial<RunConfig> => ({
  steps: 1000,
  lr: 1e-3,
  teqLoss: 'lm',
  teqEstimator: 'ste-full',
  teqInit: 'ones',
  teqHoldout: 0,
  calibSamples: 1000,
  seqLen: capSeq(512, ctx),
});
export const teqSummary = (c: RunConfig) => ` · ${c.steps} TEQ steps at lr ${c.lr}`;

export const teq: MethodDescriptor = {
  name: 'teq',
  label: 'TEQ',
  description: 'Trainable equivalent transformation: per-channel scales learned with Adam through a straight-through estimator, folded into the norms.',
  phaseLabel: 'TEQ scale training',
  fields: TEQ_FIELDS,
  settings: [TEQ_SETTINGS],
  presets: { quick: teqQuick, paper: teqPaper },
  resumable: true,
  longRunning: true,
  run: runTeq,
  memory: (m) => {
    const tensors = m.config.teqLoss === 'lm' ? [{ name: 'TEQ logits', bytes: m.L * m.cfg.vocab * 4 }] : [];
    return { phases: { teq: teqMemory(m, m.config.teqInit !== 'ones') }, tensors: [...tensors, teqPartials(m)] };
  },
  bench: (s, config, layers) => ({ teqStepsPerSecond: (config.teqLoss === 'block' ? config.steps * layers : config.steps) / s.teq }),
  summary: teqSummary,
  inspect: { scales: 'trained' },
};

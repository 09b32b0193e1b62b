// GPTQ (AutoGPTQ's fasterquant): per block and true-sequential set, the Hessian of each Linear's
// inputs, the upper Cholesky factor of its inverse, and the column loop with second-order error
// feedback (src/quant/gptq.ts). Its fields, memory and presets are also AWQ -> GPTQ's and TEQ -> GPTQ's.
import { runGptq } from '../../quant/gptq-methods';
import { booleanField, choiceField, positiveRealField } from '../fields';
import { capSeq, type MemoryInputs, type MethodDescriptor, type PresetContext } from '../types';
import type { RunConfig } from '../../core/run-types';

export const GPTQ_FIELDS = [
  positiveRealField('gptqDamp', 1, 0.01, 1e-6, {
    label: 'Dampening',
    help: "Added to the Hessian's diagonal, as a fraction of its mean (AutoGPTQ's damp_percent, 1%). Raised tenfold, up to three times, if the factorisation still fails.",
  }),
  booleanField('gptqActOrder', false, {
    label: 'Act-order',
    help: 'Quantize the input channels with the largest Hessian diagonal first (desc_act); groups then follow that order and the export carries g_idx. ONNX gathers the inputs in group order; GGUF keeps such Linears as float.',
  }),
  choiceField('gptqBlockSize', [16, 32, 64, 128, 256] as const, 128, {
    label: 'Lazy batch',
    help: 'Columns quantized between two updates of the remaining weights (128 in AutoGPTQ). A group takes its range from the weights as of the last update, so with groups the batch changes the result a little, as in AutoGPTQ.',
    choices: [16, 32, 64, 128, 256].map((v) => ({ value: v, label: `${v} columns` })),
  }),
];

export const GPTQ_SETTINGS = { title: 'GPTQ', fields: GPTQ_FIELDS.map((f) => f.key) };

/** The widest Linear input rounded up to the factorisation's 32-wide blocks, and its [N, N] f32 matrix. */
export function gptqHessianBytes(m: MemoryInputs): number {
  const { cfg } = m;
  const widest = Math.max(cfg.hidden, cfg.intermediate, cfg.heads * cfg.headDim);
  return (Math.ceil(widest / 32) * 32) ** 2 * 4;
}

/**
 * One block's GPTQ: the calibration input and the block's output (2 calibX), the block's kept
 * activations while a set's Hessian is taken, its weights three times (source, dequantized, one
 * Linear's working copy and outputs), and four [N, N] matrices of the widest input: the Hessian,
 * the Cholesky workspace and its triangular inverse, the factor U.
 */
export function gptqMemory(m: MemoryInputs, awqInside: boolean): number {
  const core = m.blockActs + 3 * m.blockBytes + 4 * gptqHessianBytes(m);
  return m.globalsBytes + 2 * m.calibX + Math.max(core, awqInside ? m.awqCore : 0);
}

export const gptqTensors = (m: MemoryInputs) => [
  {
    name: "GPTQ's factorisation of the widest input's Hessian",
    bytes: gptqHessianBytes(m),
    advice: 'its size is set by the model (its widest Linear input, squared), not by the run: choose another method, or a device that binds larger buffers',
  },
];

// AutoGPTQ's defaults, said explicitly so the preset lists them.
const AUTOGPTQ = { gptqDamp: 0.01, gptqActOrder: false, gptqBlockSize: 128 } as const;
export const gptqQuick = (): Partial<RunConfig> => ({ ...AUTOGPTQ });
/** The GPTQ paper: 128 random 2048-token segments of calibration text; AutoGPTQ's damp 1%, block 128, desc_act false. */
export const gptqPaper = (ctx: PresetContext): Partial<RunConfig> => ({ ...AUTOGPTQ, calibSamples: 128, seqLen: capSeq(2048, ctx) });
export const gptqSummary = (c: RunConfig) => ` · damp ${c.gptqDamp}${c.gptqActOrder ? ', act-order' : ''}, batches of ${c.gptqBlockSize}`;

export const gptq: MethodDescriptor = {
  name: 'gptq',
  label: 'GPTQ',
  description: 'Column by column with second-order error feedback (AutoGPTQ): each rounding error is spread over the columns not yet quantized.',
  phaseLabel: 'GPTQ',
  fields: GPTQ_FIELDS,
  settings: [GPTQ_SETTINGS],
  presets: { quick: gptqQuick, paper: gptqPaper },
  resumable: true,
  longRunning: true,
  run: runGptq,
  memory: (m) => ({ phases: { gptq: gptqMemory(m, false) }, tensors: gptqTensors(m) }),
  bench: (s, _config, layers) => ({ gptqSecondsPerBlock: s.gptq / layers }),
  summary: gptqSummary,
  inspect: { scales: 'none', errorFeedback: true },
};

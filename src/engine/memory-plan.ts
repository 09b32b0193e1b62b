// What a run will need on the GPU, per phase, before it starts: the studio warns when a run
// cannot fit and the CLI reports plan against measurement. Estimates in bytes of f32 tensors,
// counting what is alive at once in each phase (weights, calibration activations, optimizer state).
// Each method's own phases come from its descriptor (src/methods/<name>/).
import type { ModelConfig } from '../core/model-config';
import type { RunConfig } from '../core/run-types';
import { windowsPerBatch, windowsPerChunk } from '../eval/perplexity';
import { formatBytes } from '../gpu/errors';
import { methodOf } from '../methods/registry';
import { shardRows } from '../model/vocab-shards';
import type { PlannedTensor } from '../methods/types';
import type { Gpu } from '../gpu/gpu';
import { attentionScoresBytes, matmulAttentionPossible, matmulAttentionScratchBytes } from '../ops/attention';
import { ATTENTION_MATMUL_MAX_SCORES_BYTES, ATTENTION_MATMUL_MIN_HEAD_DIM, linearPath } from '../ops/precision';

/** Logits and activations of one evaluation batch: a quarter of the largest binding, 32-512 MiB. */
export function evalBudgetBytes(maxStorageBufferBindingSize = 128 << 20): number {
  return Math.min(512 << 20, Math.max(32 << 20, Math.floor(maxStorageBufferBindingSize / 4)));
}
/** Above this, full-precision blocks are streamed one at a time instead of kept resident. */
export const RESIDENT_BLOCKS_MAX_BYTES = 1 << 30;

export interface MemoryPlan {
  /** Estimated peak bytes per phase. */
  phases: Record<string, number>;
  peak: number;
  /** The largest single tensor (must fit maxStorageBufferBindingSize). */
  largestTensor: PlannedTensor;
  blockBytes: number;
  globalsBytes: number;
  residentBlocks: boolean;
  /** Empty when the run fits the limits given. */
  problems: string[];
}

const F = 4;
/** Pool size classes and fragmentation, measured at 5-10% on the H100 runs. */
const POOL_SLACK = 1.15;

export function blockParams(cfg: ModelConfig): number {
  const qW = cfg.heads * cfg.headDim,
    kvW = cfg.kvHeads * cfg.headDim,
    C = cfg.hidden,
    I = cfg.intermediate;
  const attn = C * qW + 2 * C * kvW + qW * C + (cfg.qkvBias ? qW + 2 * kvW : 0) + (cfg.outBias ? C : 0);
  const mlp = cfg.arch === 'opt' ? 2 * C * I + (cfg.mlpBias ? I + C : 0) : 3 * C * I + (cfg.mlpBias ? 2 * I + C : 0);
  const norms = (cfg.arch === 'opt' ? 4 : 2) * C + (cfg.qkNorm ? 2 * cfg.headDim : 0);
  return attn + mlp + norms;
}

/** Floats per token alive in a block forward that keeps its activations. */
function activationFloatsPerToken(cfg: ModelConfig): number {
  const qW = cfg.heads * cfg.headDim,
    kvW = cfg.kvHeads * cfg.headDim;
  // Qwen3 keeps q and k before their per-head norms too, with a statistic per head
  const headNorms = cfg.qkNorm ? qW + kvW + cfg.heads + cfg.kvHeads : 0;
  return 8 * cfg.hidden + 2 * qW + 2 * kvW + 4 * cfg.intermediate + cfg.heads + headNorms;
}

export interface PlanOptions {
  /** The device can take attention's matmul path (ops/attention.ts matmulAttentionPossible). */
  matmulAttention?: boolean;
  /** Bytes of f16 Linear operand copies the runtime may keep between products (gpu.copies.maxBytes;
   * 0 or absent without the precision policy). */
  halfCopies?: number;
  /** Linears run on the tensor cores (ops/precision.ts linearPath): a whole tile's product with a
   * bias or accumulating into out goes to an output-sized workspace first (ops/matmul.ts sumPass). */
  tensorCores?: boolean;
}

/** The plan's options for this device, as the run will find it. */
export function planOptions(gpu: Gpu): PlanOptions {
  return { matmulAttention: matmulAttentionPossible(gpu), halfCopies: gpu.copies.maxBytes, tensorCores: linearPath(gpu) === 'subgroup-matrix' };
}

/** On the tensor cores, a whole tile's product with a bias (OPT's Linears, Qwen2's q/k/v) or
 * accumulated (the input gradients summed into q's and gate's) goes to a workspace of its output's
 * size before the sum pass adds them: one at a time, the widest such output. (Split K's partial sums
 * are left to the pool's slack: splitting only outputs of few workgroups keeps them under about
 * 20 MiB on a grid of shapes up to 4096 x 4096 x 49152, and far under on small models.) */
function sumPassWorkspace(cfg: ModelConfig, tokens: number): number {
  const qW = cfg.heads * cfg.headDim;
  const widest = Math.max(cfg.hidden, cfg.qkvBias ? qW : 0, cfg.mlpBias ? cfg.intermediate : 0);
  return tokens * widest * F;
}

/** The matmul attention path's transient scratch for calls of up to `windows` sequences: three
 * score-sized tensors in its backward; calls whose scores pass the cap take the flash path, so
 * no call needs more than three times the cap (and small head dims never take it). */
function attentionScratch(cfg: ModelConfig, L: number, windows: number): number {
  if (cfg.headDim < ATTENTION_MATMUL_MIN_HEAD_DIM) return 0;
  const o = { batch: windows, seqLen: L, heads: cfg.heads, kvHeads: cfg.kvHeads, headDim: cfg.headDim };
  return attentionScoresBytes(o) <= ATTENTION_MATMUL_MAX_SCORES_BYTES ? matmulAttentionScratchBytes(o) : 3 * ATTENTION_MATMUL_MAX_SCORES_BYTES;
}

/** Logit columns of one range of the LM head's rows where its table is over one binding (as
 * loadGlobals binds it; 256 bytes, WebGPU's largest offset alignment, for the device's), else 0. */
function vocabRangeCols(vocab: number, embedDim: number, binding: number | undefined): number {
  if (binding === undefined || vocab * embedDim * F <= binding) return 0;
  // a row over one binding is refused where the model loads (shardRows' error): nothing to plan
  return embedDim * F * 64 <= binding ? shardRows(vocab, embedDim * F, binding, 256) : 0;
}

export function planMemory(
  cfg: ModelConfig,
  config: RunConfig,
  limits?: { maxStorageBufferBindingSize: number; maxBufferSize: number },
  opts: PlanOptions = {},
): MemoryPlan {
  const blockBytes = blockParams(cfg) * F;
  const embedDim = cfg.embedDim ?? cfg.hidden;
  const projections = cfg.embedDim !== undefined ? 2 * cfg.hidden * cfg.embedDim : 0;
  const globalsBytes =
    (cfg.vocab * embedDim * (cfg.tiedEmbeddings ? 1 : 2) + (cfg.arch === 'opt' ? (cfg.maxPositions + 2) * cfg.hidden : 0) + 2 * cfg.hidden + projections) * F;
  const residentBlocks = cfg.layers * blockBytes <= RESIDENT_BLOCKS_MAX_BYTES;
  const fpBlocks = residentBlocks ? cfg.layers * blockBytes : blockBytes;
  const L = config.seqLen;
  const perBatchMax = windowsPerBatch(cfg, L, evalBudgetBytes(limits?.maxStorageBufferBindingSize));
  const perBatch = config.evalWindows > 0 ? Math.min(perBatchMax, config.evalWindows) : perBatchMax;
  const evalTokens = perBatch * L;
  const act = activationFloatsPerToken(cfg);
  // one batch's activations and logits, plus the hidden states of the windows that go through
  // the blocks together (src/eval/perplexity.ts)
  const perChunk = windowsPerChunk(cfg, L, evalBudgetBytes(limits?.maxStorageBufferBindingSize), perBatchMax);
  const chunkHidden = (config.evalWindows > 0 ? Math.min(perChunk, config.evalWindows) : perChunk) * L * cfg.hidden * F;
  const rangeCols = vocabRangeCols(cfg.vocab, embedDim, limits?.maxStorageBufferBindingSize);
  const evalActs = evalTokens * (act + 2 * cfg.vocab + rangeCols) * F + chunkHidden;
  const calibTokens = config.calibSamples * L;
  const calibX = calibTokens * cfg.hidden * F;
  const blockActs = calibTokens * act * F;
  const phases: Record<string, number> = {};
  // AWQ's search (also the initialisation inside TEQ and TesseraQ): one block's kept activations,
  // the search's temporaries of the same size, the block's weights and their scaled copies.
  const awqCore = 2 * calibX + 2 * blockActs + 3 * blockBytes;
  const method = methodOf(config.method);
  const needs = method?.memory?.({ cfg, config, L, act, globalsBytes, blockBytes, calibX, blockActs, awqCore, rangeCols });
  phases['eval-fp'] = globalsBytes + fpBlocks + evalActs;
  Object.assign(phases, needs?.phases);
  if (method?.run) {
    // kept activations of the fp block, both outputs, and one Linear's reference and quantized outputs
    const linearOut = calibTokens * Math.max(cfg.intermediate, cfg.heads * cfg.headDim) * F;
    phases.measure = globalsBytes + 2 * calibX + blockActs + 2 * linearOut + 3 * blockBytes + (residentBlocks ? cfg.layers * blockBytes : blockBytes);
    phases['eval-quant'] = globalsBytes + (residentBlocks ? cfg.layers * blockBytes : blockBytes) + evalActs;
  }
  // Kept f16 copies are halves of f32 tensors alive in the phase (a copy dies with its source), and
  // never more than the runtime's bound.
  if (opts.halfCopies) for (const k of Object.keys(phases)) phases[k] += Math.min(opts.halfCopies, phases[k] / 2);
  // Where attention may take its matmul path, any phase may hold its scratch on top (one call at a
  // time; the largest call runs on the calibration windows or one evaluation batch).
  if (opts.matmulAttention) {
    const scratch = attentionScratch(cfg, L, Math.max(config.calibSamples, perBatch));
    for (const k of Object.keys(phases)) phases[k] += scratch;
  }
  if (opts.tensorCores) {
    const workspace = sumPassWorkspace(cfg, Math.max(calibTokens, evalTokens));
    for (const k of Object.keys(phases)) phases[k] += workspace;
  }
  // Buffers come in size classes (powers of two below 1 MiB, whole MiB above): allow for rounding.
  for (const k of Object.keys(phases)) phases[k] = Math.ceil(phases[k] * POOL_SLACK);
  const candidates: PlannedTensor[] = [
    { name: 'logits of one evaluation batch', bytes: evalTokens * cfg.vocab * F, advice: 'use a shorter sequence length' },
    { name: 'calibration activations (MLP width)', bytes: calibTokens * cfg.intermediate * F },
  ];
  candidates.push(...(needs?.tensors ?? []));
  const largestTensor = candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const peak = Math.max(...Object.values(phases));
  const problems: string[] = [];
  // The embedding (and an untied head) is bound as ranges of rows (model/vocab-shards.ts): it only
  // has to fit one buffer.
  const tableBytes = cfg.vocab * embedDim * F;
  if (limits && tableBytes > limits.maxBufferSize)
    problems.push(
      `The embedding table needs ${formatBytes(tableBytes)}, over this device's largest buffer of ${formatBytes(limits.maxBufferSize)}: it is the model's vocabulary (${cfg.vocab}) times its embedding width (${embedDim}), which no run setting changes; this model needs a device with larger buffers (the studio asks for the adapter's largest).`,
    );
  if (limits && largestTensor.bytes > limits.maxStorageBufferBindingSize) {
    problems.push(
      `The ${largestTensor.name} needs ${formatBytes(largestTensor.bytes)}, over this device's largest buffer binding of ` +
        `${formatBytes(limits.maxStorageBufferBindingSize)}: ${largestTensor.advice ?? 'use fewer calibration samples or a shorter sequence length'}.`,
    );
  }
  return { phases, peak, largestTensor, blockBytes, globalsBytes, residentBlocks, problems };
}

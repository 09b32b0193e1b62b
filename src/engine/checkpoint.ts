// What a run keeps so it can resume after a reload, a crash or a lost GPU device: the config, the
// finished blocks' quantized Linears (codes bit-packed, scales, zeros), the transformed
// full-precision tensors, optionally the current block's parameters and optimizer state, and the
// RNG state. Plain data (typed arrays, numbers, strings) that IndexedDB stores by structured clone.
import type { QuantizedLinear, QuantSpec } from '../core/quant-spec';
import { groupCount } from '../core/quant-spec';
import { packCodes, packedWords, unpackCodes } from '../quant/pack';
import type { RunConfig } from '../core/run-types';
import type { BlockInProgress } from '../core/checkpoint-types';

/** Bump on any incompatible change of RunCheckpoint; older records are then not offered for resume. */
export const CHECKPOINT_SCHEMA_VERSION = 1;

/** A QuantizedLinear as stored: codes packed `spec.bits` wide into u32 words (src/quant/pack.ts). */
export interface SerializedLinear {
  name: string;
  rows: number;
  cols: number;
  spec: QuantSpec;
  packedCodes: Uint32Array;
  scales: Float32Array;
  zeros: Float32Array;
  /** GPTQ act-order groups per input column. */
  gIdx?: Uint32Array;
  bias?: Float32Array;
}

export interface RunCheckpoint {
  schema: number;
  config: RunConfig;
  /** Blocks 0..completedBlocks-1 are final: their Linears are in `linears`. */
  completedBlocks: number;
  linears: SerializedLinear[];
  /** Transformed full-precision tensors (TEQ/AWQ folds) by HF name. */
  overrides: Record<string, Float32Array>;
  /** A finished first phase's overrides (TEQ before TesseraQ): the second phase's source weights. */
  baseOverrides?: Record<string, Float32Array>;
  inProgress?: BlockInProgress;
  /** Seeded generator state(s) (e.g. mulberry32's u32), so a resumed run draws the same numbers. */
  rngState?: number[];
  /** ISO time the checkpoint was taken. */
  createdAt: string;
  /** The run's details so far (a finished TEQ phase's result, the reports of finished blocks), so
   *  that a resumed run's result still has them; absent in checkpoints saved by older versions. */
  details?: Record<string, unknown>;
}

/** What list() returns: enough to offer "resume run X" without loading tensors. */
export interface CheckpointSummary {
  runId: string;
  config: RunConfig;
  completedBlocks: number;
  inProgressBlock?: number;
  /** Where it resumes, in words (resumePoint); absent in summaries saved by older versions. */
  resumePoint?: string;
  createdAt: string;
  /** Estimated stored size. */
  bytes: number;
}

export function serializeLinear(q: QuantizedLinear): SerializedLinear {
  if (q.codes.length !== q.rows * q.cols) throw new Error(`${q.name}: ${q.codes.length} codes for [${q.rows}, ${q.cols}]`);
  const out: SerializedLinear = {
    name: q.name,
    rows: q.rows,
    cols: q.cols,
    spec: { ...q.spec },
    packedCodes: packCodes(q.codes, q.spec.bits),
    scales: q.scales.slice(),
    zeros: q.zeros.slice(),
  };
  if (q.bias) out.bias = q.bias.slice();
  if (q.gIdx) out.gIdx = q.gIdx.slice();
  return out;
}

/** Checks every length against the shape, so a damaged record fails here and not inside a kernel. */
export function deserializeLinear(s: SerializedLinear): QuantizedLinear {
  const groups = s.rows * groupCount(s.spec, s.cols);
  const bad =
    !(s.packedCodes instanceof Uint32Array) || s.packedCodes.length !== packedWords(s.rows * s.cols, s.spec.bits)
      ? 'packed codes'
      : s.scales.length !== groups
        ? 'scales'
        : s.zeros.length !== groups
          ? 'zeros'
          : s.bias && s.bias.length !== s.rows
            ? 'bias'
            : s.gIdx && (s.gIdx.length !== s.cols || s.gIdx.some((k) => k >= s.scales.length / s.rows))
              ? 'g_idx'
              : '';
  if (bad) throw new Error(`checkpoint of ${s.name}: ${bad} do not fit [${s.rows}, ${s.cols}] at ${s.spec.bits} bits, group ${s.spec.groupSize}`);
  const q: QuantizedLinear = {
    name: s.name,
    rows: s.rows,
    cols: s.cols,
    spec: { ...s.spec },
    codes: unpackCodes(s.packedCodes, s.spec.bits, s.rows * s.cols),
    scales: s.scales,
    zeros: s.zeros,
  };
  if (s.bias) q.bias = s.bias;
  if (s.gIdx) q.gIdx = s.gIdx;
  return q;
}

/** A checkpoint of the run's state (copies, so the run can go on changing its own arrays). */
export function makeCheckpoint(state: {
  config: RunConfig;
  completedBlocks: number;
  linears: Iterable<QuantizedLinear>;
  overrides: Iterable<[string, Float32Array]>;
  baseOverrides?: Iterable<[string, Float32Array]>;
  inProgress?: BlockInProgress;
  rngState?: number[];
  details?: Record<string, unknown>;
  now?: Date;
}): RunCheckpoint {
  const copies = <T extends Float32Array | Uint32Array>(entries: Iterable<[string, T]>) =>
    Object.fromEntries([...entries].map(([k, v]) => [k, v.slice() as T]));
  const cp: RunCheckpoint = {
    schema: CHECKPOINT_SCHEMA_VERSION,
    config: { ...state.config },
    completedBlocks: state.completedBlocks,
    linears: [...state.linears].map(serializeLinear),
    overrides: copies(state.overrides),
    createdAt: (state.now ?? new Date()).toISOString(),
  };
  if (state.baseOverrides) cp.baseOverrides = copies(state.baseOverrides);
  if (state.inProgress) cp.inProgress = { ...state.inProgress, tensors: copies(Object.entries(state.inProgress.tensors)) };
  if (state.rngState) cp.rngState = [...state.rngState];
  if (state.details) cp.details = structuredClone(state.details);
  return cp;
}

/** The Linears and overrides of a checkpoint as the run holds them (MethodContext.linears/overrides). */
export function restoreCheckpoint(cp: RunCheckpoint): {
  linears: Map<string, QuantizedLinear>;
  overrides: Map<string, Float32Array>;
  baseOverrides?: Map<string, Float32Array>;
  details?: Record<string, unknown>;
} {
  if (cp.schema !== CHECKPOINT_SCHEMA_VERSION) throw new Error(`checkpoint schema ${cp.schema}; this studio resumes schema ${CHECKPOINT_SCHEMA_VERSION}`);
  const restored: ReturnType<typeof restoreCheckpoint> = {
    linears: new Map(cp.linears.map((s) => [s.name, deserializeLinear(s)])),
    overrides: new Map(Object.entries(cp.overrides)),
  };
  if (cp.baseOverrides) restored.baseOverrides = new Map(Object.entries(cp.baseOverrides));
  if (cp.details) restored.details = structuredClone(cp.details);
  return restored;
}

const utf8Bytes = (s: string) => new TextEncoder().encode(s).byteLength;

/**
 * Bytes the checkpoint takes in storage, for quota messages and checks: every typed array's
 * bytes plus its name, plus the config and scalars as JSON. IndexedDB adds its own overhead on top.
 */
export function estimateCheckpointBytes(cp: RunCheckpoint): number {
  let bytes = utf8Bytes(
    JSON.stringify({
      schema: cp.schema,
      config: cp.config,
      completedBlocks: cp.completedBlocks,
      rngState: cp.rngState,
      createdAt: cp.createdAt,
      details: cp.details,
    }),
  );
  for (const l of cp.linears) {
    bytes += utf8Bytes(l.name) + utf8Bytes(JSON.stringify(l.spec)) + 8;
    bytes += l.packedCodes.byteLength + l.scales.byteLength + l.zeros.byteLength + (l.bias?.byteLength ?? 0);
  }
  for (const [k, v] of [...Object.entries(cp.overrides), ...Object.entries(cp.baseOverrides ?? {})]) bytes += utf8Bytes(k) + v.byteLength;
  if (cp.inProgress) {
    bytes += 24;
    for (const [k, v] of Object.entries(cp.inProgress.tensors)) bytes += utf8Bytes(k) + v.byteLength;
  }
  return bytes;
}

export function summarizeCheckpoint(runId: string, cp: RunCheckpoint): CheckpointSummary {
  const s: CheckpointSummary = {
    runId,
    config: cp.config,
    completedBlocks: cp.completedBlocks,
    resumePoint: resumePoint(cp),
    createdAt: cp.createdAt,
    bytes: estimateCheckpointBytes(cp),
  };
  if (cp.inProgress) s.inProgressBlock = cp.inProgress.block;
  return s;
}

/** Where a checkpoint resumes, in words for the log and the list of unfinished runs. */
export function resumePoint(cp: RunCheckpoint): string {
  const p = cp.inProgress;
  if (p?.round !== undefined) return `in block ${p.block} after round ${p.round}`;
  if (p) return `at step ${p.step} of the TEQ training`; // the only training checkpointed by steps
  if (cp.completedBlocks === 0) return cp.baseOverrides ? 'after the TEQ phase' : 'from the start';
  return `after block ${cp.completedBlocks - 1}`;
}

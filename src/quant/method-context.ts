// What every quantization method gets, and what it fills in.
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { ModelConfig, WeightSource } from '../core/model-config';
import type { BatchShape } from '../model/block';
import type { ModelGlobals } from '../model/gpu-model';
import type { RunConfig, RunEvent } from '../core/run-types';
import type { BlockInProgress } from '../core/checkpoint-types';
import type { QuantizedLinear, QuantSpec } from '../core/quant-spec';
import { CancelledError } from '../gpu/errors';

export interface MethodContext {
  gpu: Gpu;
  cfg: ModelConfig;
  source: WeightSource;
  globals: ModelGlobals;
  spec: QuantSpec;
  config: RunConfig;
  /** Calibration token ids, config.calibSamples x config.seqLen. */
  calibIds: Uint32Array;
  calibShape: BatchShape;
  emit: (e: RunEvent) => void;
  signal?: AbortSignal;
  /** Output: transformed full-precision tensors by HF name. */
  overrides: Map<string, Float32Array>;
  /** Output: quantized Linears by HF module name. */
  linears: Map<string, QuantizedLinear>;
  /** Output: method-specific data for Inspect. */
  details: Record<string, unknown>;
  /** Seconds per phase (methods add their own). */
  seconds: Record<string, number>;
  /** Block-wise methods start here (a resumed run: earlier blocks are already in linears/overrides). */
  startBlock?: number;
  /** Called after each finished block (checkpoints); the run waits for it. */
  onBlockDone?: (block: number) => Promise<void>;
  /** Called when a first phase (TEQ before TesseraQ) has finished: a checkpoint with baseOverrides. */
  onPhaseDone?: () => Promise<void>;
  /**
   * Checkpoints inside a long block (or the whole-model TEQ training): `due()` says whether one is
   * wanted now (the run spaces them in time), `save` stores the state with blocks 0..block-1 final.
   */
  progress?: { due(): boolean; save(p: BlockInProgress, rngState: number[]): Promise<void> };
  /** The stored in-progress state to continue from (block `startBlock`, or TEQ's LM training). */
  resumeProgress?: { progress: BlockInProgress; rngState: number[] };
  /** The overrides of a finished first phase (TEQ before TesseraQ), kept in checkpoints. */
  baseOverrides?: Map<string, Float32Array>;
}

/** A seeded generator per block, so a run resumed at block k draws what an uninterrupted one does. */
export function blockSeed(seed: number, block: number, stream: number): number {
  return (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(block + 1, 0x85ebca6b) ^ Math.imul(stream, 0xc2b2ae35)) >>> 0;
}

export function checkCancelled(ctx: MethodContext, what = 'The run'): void {
  if (ctx.signal?.aborted) throw new CancelledError(what);
}

/**
 * Between two submitted steps of a training loop: waits while more than `depth` submissions are in
 * flight (4, as TesseraQ keeps), which also lets the worker receive a cancel, then checks it. Without a wait the loop
 * encodes every step at once and a cancel is seen only when the whole block has run on the GPU.
 */
export async function paceSubmissions(ctx: MethodContext, inFlight: Promise<unknown>[], depth = 4): Promise<void> {
  inFlight.push(ctx.gpu.device.queue.onSubmittedWorkDone());
  while (inFlight.length > depth) await inFlight.shift();
  checkCancelled(ctx);
}

/**
 * Progress events inside a phase ("block 2 of 5 · round 3 of 10"), at most one per `minMs` except
 * the last of the phase and milestones (a block or round done): fine-grained steps would otherwise
 * flood the page with events, but a dropped "block done" leaves the page a block behind.
 */
export function progressReporter(
  ctx: Pick<MethodContext, 'emit'>,
  phase: string,
  minMs = 200,
  now: () => number = () => performance.now(),
): (done: number, total: number, detail?: string, milestone?: boolean) => void {
  let last = -Infinity;
  return (done, total, detail, milestone = false) => {
    const t = now();
    if (!milestone && done < total && t - last < minMs) return;
    last = t;
    ctx.emit({ type: 'progress', phase, done, total, detail });
  };
}

export type MethodRunner = (ctx: MethodContext) => Promise<void>;

export type { Tensor };

/** B distinct sequences of N, a seeded partial Fisher-Yates (torch.randperm(N)[:B]). */
export function pickSequences(rand: () => number, total: number, count: number): Uint32Array {
  const n = Math.min(count, total);
  const pool = Array.from({ length: total }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rand() * (total - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return Uint32Array.from(pool.slice(0, n));
}

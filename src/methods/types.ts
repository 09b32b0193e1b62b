// What a quantization method is to the rest of the studio: one descriptor per folder under
// src/methods/, listed once in registry.ts. The URL/CLI parser, the CLI usage, the Method panel, the
// memory plan, the bench report, Run, Inspect and History take what they know of a method from it
// (the fp baseline is still named where a place treats "no quantization" specially).
import type { ModelConfig } from '../core/model-config';
import type { Method, RunConfig } from '../core/run-types';
import type { MethodRunner } from '../quant/method-context';
import type { ConfigField, FieldKey } from './fields';

/** What the memory plan has computed for every method before asking the method for its phases. */
export interface MemoryInputs {
  cfg: ModelConfig;
  config: RunConfig;
  /** Sequence length (config.seqLen). */
  L: number;
  /** Floats per token alive in a block forward that keeps its activations. */
  act: number;
  globalsBytes: number;
  blockBytes: number;
  /** The calibration hidden states (calibSamples x seqLen x hidden floats). */
  calibX: number;
  /** One block's kept activations on the calibration set. */
  blockActs: number;
  /** AWQ's search (alone or as an initialisation): kept activations, temporaries, scaled weights. */
  awqCore: number;
  /** Logit columns of one vocabulary range where the LM head is bound as ranges (each range's logits
   * are computed apart, then copied into the whole: model/vocab-shards.ts); 0 for one range. */
  rangeCols: number;
}

export interface MemoryNeeds {
  /** Estimated peak bytes of each phase the method runs (before the pool's slack), in run order. */
  phases: Record<string, number>;
  /** Single tensors the method allocates that may be the run's largest (each must fit one binding). */
  tensors?: PlannedTensor[];
}

/** Method-specific columns of the bench table (src/cli/bench-report.ts). */
export interface BenchFigures {
  awqSeconds?: number;
  teqStepsPerSecond?: number;
  tqSecondsPerBlock?: number;
  tqSecondsPerRound?: number;
  tqSecondsPer250Round?: number;
  /** GPTQ's seconds per block (with the AWQ search of AWQ -> GPTQ). */
  gptqSecondsPerBlock?: number;
}

export interface PresetContext {
  /** The loaded model's context length, when known: sequence lengths are capped to it. */
  maxPositions?: number;
  /** The GPU is a software adapter (SwiftShader, llvmpipe, WARP): a quick demo has to be smaller. */
  software?: boolean;
}

/** A card of the Method panel: a title and the fields it shows, in order. */
export interface SettingsGroup {
  title: string;
  fields: readonly FieldKey[];
}

export interface MethodDescriptor {
  /** The name in RunConfig.method, URLs (method=...) and the CLI (--method ...). */
  name: Method;
  /** Short label: "TEQ → TesseraQ". */
  label: string;
  /** One line for the Method panel. */
  description: string;
  /** The Run panel's name of the method's phase. */
  phaseLabel?: string;
  /** The method's own settings (URL parameters and CLI flags), each owned by one folder. */
  fields: readonly ConfigField[];
  /** How the Method panel groups those settings. */
  settings: readonly SettingsGroup[];
  /** What the presets set for this method, beyond the shared calibration settings. */
  presets: { quick?: (ctx: PresetContext) => Partial<RunConfig>; paper?: (ctx: PresetContext) => Partial<RunConfig> };
  /** Whether a run continues from a block checkpoint (the others restart). */
  resumable: boolean;
  /** Long enough that the studio asks the browser to keep its checkpoints through storage pressure. */
  longRunning: boolean;
  /** Absent for the full-precision baseline, which quantizes nothing. */
  run?: MethodRunner;
  /** GPU memory of the method's own phases. */
  memory?: (m: MemoryInputs) => MemoryNeeds;
  /** The method's columns of the bench table, from the run's phase seconds. */
  bench?: (seconds: Record<string, number>, config: RunConfig, layers: number) => BenchFigures;
  /** What the Run panel adds to the run's one-line summary: " · 20 TEQ steps at lr 0.005". */
  summary?: (config: RunConfig) => string;
  /** What Inspect shows: per-channel scales trained (TEQ), searched (AWQ) or none; errorFeedback:
   *  GPTQ's per-layer error before and after error feedback and its Hessian diagonals (details.gptq). */
  inspect: { scales: 'trained' | 'searched' | 'none'; errorFeedback?: boolean };
}

/** A sequence length capped to the model's context. */
export const capSeq = (seq: number, ctx: PresetContext) => (ctx.maxPositions ? Math.min(seq, ctx.maxPositions) : seq);

/** A single tensor a run allocates, and what the user can do when it is over the device's largest binding. */
export interface PlannedTensor {
  name: string;
  bytes: number;
  /** Absent: the run's settings make it smaller (fewer calibration samples, a shorter sequence). */
  advice?: string;
}

// The run configuration and the result JSON: the contract between the studio, the worker, the CLI
// and downloaded run files. Documented in README ("Run JSON schema"); bump RESULT_SCHEMA_VERSION on
// any incompatible change.

export const RESULT_SCHEMA_VERSION = 1;

/** A method's name; each has a descriptor in src/methods/ (registry.ts), which also holds the defaults. */
export type Method = 'fp' | 'rtn' | 'awq' | 'teq' | 'tesseraq' | 'teq+tesseraq' | 'gptq' | 'awq+gptq' | 'teq+gptq';
export type TextSource = 'tinystories' | 'wikitext2' | 'tinyshakespeare' | 'custom';

/** Every field is declared (default, range, help) once in src/methods/: the shared ones in
 *  common-fields.ts, a method's own in its folder. */
/** Ways to draw calibration windows from a seed (RunConfig.calibDraw). */
export const WINDOW_DRAWS = ['studio', 'torch', 'numpy', 'python'] as const;
export type WindowDraw = (typeof WINDOW_DRAWS)[number];

export interface RunConfig {
  /** "bundled:stories260K", "hf:<repo>@<revision>", "local:<file names>" */
  model: string;
  method: Method;
  bits: 2 | 3 | 4 | 8;
  /** Input channels per quantization group; 0 means per output channel (whole row). */
  groupSize: number;
  symmetric: boolean;
  /** Calibration and evaluation text. */
  text: TextSource;
  calibSamples: number;
  seqLen: number;
  /** Evaluation windows (0 = every window of the evaluation split). */
  evalWindows: number;
  seed: number;
  /** How the seed draws the calibration windows' starts: the studio's own generator, or exactly as
   *  torch.randint, numpy.random.randint or Python's random.randint draw them (src/engine/window-draws.ts).
   *  Absent in older runs: 'studio'. */
  calibDraw: WindowDraw;
  /** Measure every Linear's and block's output error after quantizing (Inspect's error heatmaps,
   *  Teach's last step); off skips that pass over the calibration set. Absent in older runs: on. */
  measureErrors: boolean;
  /** TEQ: optimizer steps (LM loss) or steps per block (block loss). */
  steps: number;
  /** TEQ learning rate. */
  lr: number;
  teqLoss: 'lm' | 'block';
  teqEstimator: 'ste-full' | 'ste-round';
  /** TEQ's start: α from ones, AWQ's scales folded in, or AWQ's whole result (scales and clipped weights). */
  teqInit: 'ones' | 'awq' | 'awq-clip';
  /** TEQ: share of the calibration windows held out of training; the α that scores best on them
   *  (the start included) is kept. 0: train on every window and keep the last α. */
  teqHoldout: number;
  /** TesseraQ: iterations per hardening round and the schedule. */
  tqIters: number;
  tqSchedule: 'paper20' | 'short10';
  tqBatch: number;
  /** TesseraQ learning rate of the rounding logits and scale factors (the paper's 1e-3). */
  tqLr: number;
  /** TesseraQ's AWQ initialisation searches on the quantized chain's inputs (what the block will
   *  see) or on the full-precision chain's (as a separate AWQ run, LLMC's load_transform, does). */
  tqInitInput: 'quantized' | 'fp';
  /** GPTQ: dampening added to the Hessian's diagonal, as a fraction of its mean (AutoGPTQ's damp_percent). */
  gptqDamp: number;
  /** GPTQ: columns in descending order of the Hessian's diagonal (desc_act), with the g_idx it implies. */
  gptqActOrder: boolean;
  /** GPTQ: columns per lazy batch update. */
  gptqBlockSize: number;
}

export interface LayerError {
  block: number;
  layer: string;
  /** ||Wx - Q(W)x||^2 / ||Wx||^2 on calibration inputs. */
  relMse: number;
}

export interface RunResult {
  schema: number;
  id: string;
  createdAt: string;
  /** When the run ended (absent in runs saved before it was recorded). */
  finishedAt?: string;
  status: 'done' | 'cancelled' | 'failed';
  error?: string;
  model: string;
  method: Method;
  bits: number;
  groupSize: number;
  symmetric: boolean;
  steps: number;
  seed: number;
  config: RunConfig;
  device: string;
  pplFp: number;
  pplQuant: number;
  evalTokens: number;
  /** Mean NLL of each evaluation window (same windows for both): intervals and the paired fp32 comparison. */
  windowNll?: { fp?: number[]; quant?: number[] };
  /** Seconds per phase: load, calibration, awq, teq, tesseraq, eval... */
  seconds: Record<string, number>;
  layerErrors: LayerError[];
  blockErrors: { block: number; relMse: number }[];
  /** Method-specific series for Inspect (loss curves, scale snapshots...). */
  details?: Record<string, unknown>;
  /** GPU bytes per phase: the plan made before the run and the peak measured during it. */
  memory?: { planned: Record<string, number>; measured: Record<string, number> };
}

/** Progress and live data a run emits; small (numbers and short vectors), never whole tensors. */
export type RunEvent =
  | { type: 'phase'; phase: string; detail?: string }
  /** `detail` says where inside the phase the work is ("block 2 of 5 · round 3 of 10"). */
  | { type: 'progress'; phase: string; done: number; total: number; detail?: string }
  | { type: 'loss'; series: string; step: number; value: number }
  | { type: 'scales'; block: number; group: string; values: number[] }
  | { type: 'layer-error'; block: number; layer: string; relMse: number }
  | { type: 'log'; message: string };

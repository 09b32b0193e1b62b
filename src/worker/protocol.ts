import type { ExportAvailability, ExportFormat, ExportReport } from '../export/index';
import type { ExportTarget } from '../export/sink';
import type { OnnxCheck } from '../export/onnx-runtime';
import type { CheckpointSummary } from '../engine/checkpoint';
import type { ModelExport } from '../export/export-settings';
// The API the engine worker exposes through comlink. The UI imports only these types; all GPU,
// parsing and model work happens behind them, on the worker thread.
import type { AdapterReport } from '../gpu/device';
import type { RunConfig, RunEvent, RunResult, TextSource } from '../core/run-types';
import type { MemoryPlan } from '../engine/memory-plan';
import type { TeachData, TeachLayerInfo } from '../engine/teach';

export type { MemoryPlan, TeachData, TeachLayerInfo };

/**
 * Every failure crosses the worker boundary as this plain object (class identity does not survive
 * structured cloning, `kind` does): the UI switches on `kind` and shows `message` as written.
 */
export interface EngineFailure {
  kind: string;
  message: string;
}

/** What the UI learns about a loaded model; the weights stay in the worker. */
export interface ModelSummary {
  /** "bundled:stories260K", "hf:org/repo@rev", "local:a.safetensors,b.json". */
  source: string;
  name: string;
  arch: string;
  sourceArchitecture: string;
  layers: number;
  hidden: number;
  intermediate: number;
  heads: number;
  kvHeads: number;
  /** A head's width (not always hidden / heads: Qwen3, Mistral-Nemo). */
  headDim: number;
  vocab: number;
  maxPositions: number;
  tiedEmbeddings: boolean;
  /** What sets the model apart from a plain block of its family, and what that changes for the methods. */
  structure: string[];
  parameters: number;
  /** Bytes of the weights as f32 on the GPU. */
  bytesF32: number;
  tensors: { name: string; shape: number[] }[];
  /** The export formats this architecture and tokenizer allow, and what each needs from a run. */
  exports: ModelExport[];
}

/** Where a model comes from. Files are File handles (cloned, not copied); `path` keeps folder structure. */
export type ModelRequest =
  | { kind: 'bundled' }
  | { kind: 'files'; files: { file: File; path: string }[] }
  /** The token stays in the worker's memory for this load only. */
  | { kind: 'hub'; repo: string; revision: string; token?: string };

export interface LoadProgress {
  /** What is happening, e.g. "model.safetensors: 12.5 of 48 MiB". */
  message: string;
  /** 0..1 when known. */
  fraction?: number;
}

export interface TextRequest {
  source: TextSource;
  /** The text itself for source 'custom' when pasted. */
  custom?: string;
  /** An uploaded text file for source 'custom', read in the worker (a File handle is cloned, not copied). */
  file?: File;
  customName?: string;
}

/** How far tokenizing a text has come, in characters of both parts. */
export interface TextProgress {
  doneChars: number;
  totalChars: number;
}

/** Token counts of a text as the loaded model's tokenizer sees it ([BOS] included). */
export interface TextStats {
  source: TextSource;
  /** How calibration and evaluation parts were cut. */
  split: string;
  calibChars: number;
  evalChars: number;
  calibTokens: number;
  evalTokens: number;
  /** The tokenizer's model, so a stale count is recognised after loading another model. */
  model: string;
  /** Whether these counts came from ids already tokenized (the same model and text): nothing was tokenized again. */
  reused: boolean;
  /** Text that is not text, or that the tokenizer reads byte by byte (src/engine/text-quality.ts). */
  warnings?: string[];
}

export interface GenerateRequest {
  prompt: string;
  /** 'fp': the loaded model; 'quantized': the model of the latest run (quantizedRunId()). */
  which: 'fp' | 'quantized';
  maxNewTokens: number;
  /** 0 = greedy. */
  temperature: number;
  seed: number;
}

export interface EngineApi {
  /** Acquires the GPU once; later calls return the same report. */
  init(): Promise<AdapterReport>;
  /** Loads a model into the worker (replacing the previous one); the UI gets its summary. */
  loadModel(req: ModelRequest, onProgress?: (p: LoadProgress) => void): Promise<ModelSummary>;
  /** The size of a Hub model's weights (HEAD requests, no download), to ask before a link downloads it. */
  /** `revision`: where the weights come from a revision other than the one asked for (the safetensors conversion's pull request). */
  hubModelSize(repo: string, revision: string): Promise<{ bytes: number; files: string[]; revision?: string }>;
  /**
   * Fetches or takes the text, splits it, and tokenizes it with the loaded model's tokenizer, once:
   * in pieces with progress (cancelText() stops it), the ids kept for the runs on this model and text.
   */
  prepareText(req: TextRequest, onProgress?: (p: TextProgress) => void): Promise<TextStats>;
  /** Stops the tokenizing prepareText is doing (it rejects with a cancelled failure). */
  cancelText(): void;
  /**
   * One quantization run on the loaded model and the prepared text. Events arrive in small
   * batches. A cancelled run resolves with status 'cancelled'; a failed one rejects.
   */
  run(config: RunConfig, onEvents?: (events: RunEvent[]) => void, resumeRunId?: string): Promise<RunResult>;
  /** Unfinished runs with a checkpoint (newest first), to offer resuming after a reload. */
  listCheckpoints(): Promise<CheckpointSummary[]>;
  /** What each export format can hold of the quantized model the worker keeps (the latest run). */
  exportOptions(): Promise<{ runId: string; options: ExportAvailability[] } | null>;
  /** Writes the latest run in a format to the picked target; downloads come back as Blobs. */
  exportRun(format: ExportFormat, target: ExportTarget): Promise<{ report: ExportReport; downloads: [string, Blob][] }>;
  /** Exports to ONNX in memory and scores it with onnxruntime-web on the run's evaluation windows. */
  checkOnnx(executionProvider: 'wasm' | 'webgpu'): Promise<OnnxCheck>;
  discardCheckpoint(runId: string): Promise<void>;
  /** GPU memory the run would need per phase on this device, for the loaded model (no GPU work). */
  planRun(config: RunConfig): Promise<MemoryPlan>;
  /** Cancels the current run, load or generation (they stop at their next check). */
  cancel(): void;
  /** The run whose quantized model the worker still holds, for generation. */
  quantizedRunId(): string | null;
  generate(req: GenerateRequest, onText?: (textSoFar: string) => void): Promise<string>;
  /** The quantized Linears of the held run (runId) and their sizes, for Teach's pickers; null without one. */
  teachLayers(): Promise<{ runId: string; layers: TeachLayerInfo[] } | null>;
  /** One row group of one Linear of the held run: weights before/after the transform, codes, nearest codes. */
  teachLayer(req: { layer: string; row: number; group: number }): Promise<TeachData>;
  /** The row group of a layer with the most codes off round-to-nearest, or null when none is (RTN). */
  teachFlippedGroup(layer: string): Promise<{ row: number; group: number; flips: number } | null>;
}

export function isEngineFailure(e: unknown): e is EngineFailure {
  return typeof e === 'object' && e !== null && typeof (e as EngineFailure).kind === 'string' && typeof (e as EngineFailure).message === 'string';
}

/** Whatever was thrown (a failure from the worker, a comlink error, a bug), as an EngineFailure. */
export function toEngineFailure(e: unknown): EngineFailure {
  if (isEngineFailure(e)) return { kind: e.kind, message: e.message };
  if (e instanceof Error) return { kind: 'error', message: e.message };
  return { kind: 'error', message: String(e) };
}

// The API the engine worker exposes through comlink. The UI imports only these types; all GPU,
// parsing and model work happens behind them, on the worker thread.
import type { AdapterReport } from '../gpu/device';

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
  vocab: number;
  maxPositions: number;
  tiedEmbeddings: boolean;
  parameters: number;
  /** Bytes of the weights as f32 on the GPU. */
  bytesF32: number;
  tensors: { name: string; shape: number[] }[];
}

export interface EngineApi {
  /** Acquires the GPU once; later calls return the same report. */
  init(): Promise<AdapterReport>;
}

export function isEngineFailure(e: unknown): e is EngineFailure {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as EngineFailure).kind === 'string' &&
    typeof (e as EngineFailure).message === 'string'
  );
}

/** Whatever was thrown (a failure from the worker, a comlink error, a bug), as an EngineFailure. */
export function toEngineFailure(e: unknown): EngineFailure {
  if (isEngineFailure(e)) return { kind: e.kind, message: e.message };
  if (e instanceof Error) return { kind: 'error', message: e.message };
  return { kind: 'error', message: String(e) };
}

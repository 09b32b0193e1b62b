// onnxruntime-web in the browser with its WASM binary served by this app (never a CDN): Vite
// resolves the ?url import to a local asset, so the check works offline. The 'webgpu' build carries
// onnxruntime's native WebGPU execution provider (and the same WASM CPU kernels): the default JSEP
// build's MatMulNBits gives wrong results when K is not a multiple of block_size and refuses 8 bits
// (measured with onnxruntime-web 1.30 in Chromium: see onnx.gpu-test.ts).
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import { scoreOnnx, type OnnxScore, type OnnxScoreOptions, type OrtModule } from './onnx-score';
import type { ExportInput } from './model-parts';
import { exportOnnx } from './onnx';
import { MemorySink } from './sink';

let loaded: Promise<OrtModule> | null = null;

export function loadOnnxRuntime(): Promise<OrtModule> {
  loaded ??= import('onnxruntime-web/webgpu').then((ort) => {
    ort.env.wasm.wasmPaths = { wasm: new URL(wasmUrl, globalThis.location?.href).href };
    // Threads need cross-origin isolation (SharedArrayBuffer); without it one thread is used.
    if (!(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) ort.env.wasm.numThreads = 1;
    return ort as unknown as OrtModule;
  });
  return loaded;
}

/** Whether this browser can offer onnxruntime's WebGPU execution provider. */
export function webGpuExecutionProviderAvailable(): boolean {
  return typeof navigator !== 'undefined' && 'gpu' in navigator;
}

/**
 * Perplexity of exported ONNX bytes on the studio's windows, in onnxruntime-web. `executionProviders`
 * defaults to WASM; pass ['webgpu'] to use the WebGPU execution provider.
 */
export async function verifyOnnx(
  bytes: Uint8Array,
  tokens: ArrayLike<number>,
  windowLen: number,
  windows: number,
  opts: Omit<OnnxScoreOptions, 'windowLen' | 'windows'> = {},
): Promise<OnnxScore> {
  return scoreOnnx(await loadOnnxRuntime(), bytes, tokens, { ...opts, windowLen, windows });
}

export interface OnnxCheck extends OnnxScore {
  studioPpl: number;
  relDiff: number;
  tolerance: number;
  ok: boolean;
}

export const ONNX_CHECK_TOLERANCE = 1e-3;

/**
 * The UI's "check in onnxruntime" button: exports the run to ONNX in memory, scores it with
 * onnxruntime-web on the run's evaluation windows and compares with the studio's own quantized
 * perplexity (pass ['webgpu'] for the WebGPU execution provider where available).
 */
export async function checkOnnxExport(
  inp: ExportInput,
  evalTokens: ArrayLike<number>,
  run: { seqLen: number; evalWindows: number; pplQuant: number },
  opts: Omit<OnnxScoreOptions, 'windowLen' | 'windows'> = {},
): Promise<OnnxCheck> {
  const sink = new MemorySink();
  const report = await exportOnnx(inp, sink, { fileName: 'model.onnx' });
  const score = await verifyOnnx(sink.get(report.files[0].name), evalTokens, run.seqLen, run.evalWindows, opts);
  const relDiff = Math.abs(score.ppl - run.pplQuant) / Math.abs(run.pplQuant);
  return { ...score, studioPpl: run.pplQuant, relDiff, tolerance: ONNX_CHECK_TOLERANCE, ok: relDiff < ONNX_CHECK_TOLERANCE };
}

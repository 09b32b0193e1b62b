// onnxruntime-web in the browser with its WASM binary served by this app (never a CDN): Vite
// resolves the ?url import to a local asset, so the check works offline. The 'webgpu' build carries
// onnxruntime's native WebGPU execution provider (and the same WASM CPU kernels): the default JSEP
// build's MatMulNBits gives wrong results when K is not a multiple of block_size and refuses 8 bits
// (measured with onnxruntime-web 1.30 in Chromium: see onnx.gpu-test.ts).
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import { scoreOnnx, type OnnxScore, type OnnxScoreOptions, type OrtModule } from './onnx-score';

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

// onnxruntime-web's Node build for the CLI: loaded from node_modules at run time (by file URL, so a
// bundled CLI still finds its .wasm beside it), WASM execution provider, one thread.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { scoreOnnx, type OnnxScore, type OnnxScoreOptions, type OrtModule } from './onnx-score';

let loaded: Promise<OrtModule> | null = null;

export function loadOnnxRuntimeNode(): Promise<OrtModule> {
  loaded ??= (async () => {
    const resolveFrom = (base: string) => dirname(createRequire(base).resolve('onnxruntime-web'));
    let dist: string;
    try {
      dist = resolveFrom(import.meta.url);
    } catch {
      dist = resolveFrom(join(process.cwd(), 'package.json'));
    }
    const ort = (await import(/* @vite-ignore */ pathToFileURL(join(dist, 'ort.node.min.mjs')).href)) as OrtModule & { env: { wasm: { numThreads: number } } };
    ort.env.wasm.numThreads = 1;
    return ort;
  })();
  return loaded;
}

export async function verifyOnnxNode(
  bytes: Uint8Array,
  tokens: ArrayLike<number>,
  windowLen: number,
  windows: number,
  opts: Omit<OnnxScoreOptions, 'windowLen' | 'windows'> = {},
): Promise<OnnxScore> {
  return scoreOnnx(await loadOnnxRuntimeNode(), bytes, tokens, { ...opts, windowLen, windows, executionProviders: ['wasm'] });
}

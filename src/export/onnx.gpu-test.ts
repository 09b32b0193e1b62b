// The exported ONNX file, loaded by onnxruntime-web in the browser, reproduces the studio's own
// quantized perplexity (RTN W4 g32 on stories260K, whose 172-wide down_proj has a ragged last
// group) on the same windows, within 1e-3 relative. WASM files are served locally.
import type { Gpu } from '../gpu/gpu';
import { exportOnnx, onnxBlockSize } from './onnx';
import { checkOnnxExport, loadOnnxRuntime, verifyOnnx, webGpuExecutionProviderAvailable } from './onnx-runtime';
import { MemorySink } from './sink';
import { relDiff, studioRun, type StudioRun } from './testing-gpu';
import { dequantMatmulRef, matMulNBitsModel, syntheticLinear } from './testing';

let run: StudioRun | null = null;
let bytes: Uint8Array | null = null;

async function exported(gpu: Gpu): Promise<{ run: StudioRun; bytes: Uint8Array }> {
  if (!run || !bytes) {
    run = await studioRun(gpu, { bits: 4, groupSize: 32, symmetric: false });
    const sink = new MemorySink();
    await exportOnnx(run, sink, { fileName: 'model.onnx' });
    bytes = sink.get('model.onnx');
  }
  return { run, bytes };
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  // What MatMulNBits does with K not a multiple of block_size: n_blocks = ceil(K / block_size) and
  // the last block is ragged. WASM and the native WebGPU EP get it right; the JSEP build did not
  // (max error 0.84 at K = 172), which is why onnx-runtime.ts loads onnxruntime-web/webgpu.
  async 'MatMulNBits kernels: ragged K, 2/4/8 bits, WASM and WebGPU EP = float64'() {
    const ort = await loadOnnxRuntime();
    const M = 5;
    const problems: string[] = [];
    for (const [rows, cols, bits, g] of [
      [64, 172, 4, 32],
      [172, 64, 4, 32],
      [32, 64, 8, 32],
      [48, 100, 2, 16],
      [40, 172, 8, 0],
    ]) {
      const q = syntheticLinear(rows, cols, bits, g);
      const block = onnxBlockSize(g, cols)!;
      const bytes = matMulNBitsModel(q, block, M);
      const A = new Float32Array(M * cols).map((_, i) => Math.sin(i * 0.37));
      const ref = dequantMatmulRef(q, A, M);
      const scale = ref.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      for (const ep of webGpuExecutionProviderAvailable() ? ['wasm', 'webgpu'] : ['wasm']) {
        const s = await ort.InferenceSession.create(bytes, { executionProviders: [ep] });
        const out = await s.run({ A: new ort.Tensor('float32', A, [M, cols]) });
        const y = out.Y.data as Float32Array;
        await s.release();
        let e = 0;
        for (let i = 0; i < y.length; i++) e = Math.max(e, Math.abs(y[i] - ref[i]));
        if (!(e <= 1e-5 * scale)) problems.push(`[${rows}x${cols}] ${bits}-bit g${g} block ${block} on ${ep}: max error ${e} (scale ${scale})`);
      }
    }
    if (problems.length) throw new Error(problems.join('\n'));
  },

  async 'onnxruntime-web (WASM) perplexity = studio quantized perplexity (RTN W4 g32 asym)'(gpu) {
    const { run, bytes } = await exported(gpu);
    const c = run.result.config;
    const r = await verifyOnnx(bytes, run.evalTokens, c.seqLen, c.evalWindows, { executionProviders: ['wasm'] });
    if (r.scoredTokens !== run.result.evalTokens) throw new Error(`scored ${r.scoredTokens} tokens, the studio ${run.result.evalTokens}`);
    const d = relDiff(r.ppl, run.result.pplQuant);
    console.log(`ONNX WASM ppl ${r.ppl} vs studio ${run.result.pplQuant} (fp ${run.result.pplFp}), rel ${d.toExponential(2)}`);
    if (!(d < 1e-3)) throw new Error(`ONNX perplexity ${r.ppl} differs from the studio's ${run.result.pplQuant} by ${d}`);
    if (!(Math.abs(run.result.pplQuant - run.result.pplFp) > 1e-3)) throw new Error('quantization changed nothing: the check would not catch a float export');
  },

  async 'onnxruntime-web (WebGPU EP) perplexity = studio quantized perplexity (the UI check)'(gpu) {
    if (!webGpuExecutionProviderAvailable()) throw new Error('navigator.gpu is missing in the test browser');
    const { run } = await exported(gpu);
    const r = await checkOnnxExport(run, run.evalTokens, { ...run.result.config, pplQuant: run.result.pplQuant }, { executionProviders: ['webgpu'] });
    if (!r.ok) throw new Error(`ONNX (WebGPU EP) perplexity ${r.ppl} differs from the studio's ${r.studioPpl} by ${r.relDiff}`);
  },
};

// A GPTQ act-order run of the studio (g_idx on every Linear with more than one group) exported to
// ONNX and scored in onnxruntime-web (WASM) reproduces the studio's own quantized perplexity on the
// same windows, within 1e-3 relative: the Gather of the inputs into group order and the codes'
// columns in that order compute the model the studio evaluated.
import type { Gpu } from '../gpu/gpu';
import { exportOnnx } from './onnx';
import { verifyOnnx } from './onnx-runtime';
import { MemorySink } from './sink';
import { relDiff, studioRun } from './testing-gpu';

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'onnxruntime-web (WASM) perplexity = studio quantized perplexity (GPTQ act-order W4 g32)'(gpu) {
    const run = await studioRun(gpu, { method: 'gptq', gptqActOrder: true, bits: 4, groupSize: 32, calibSamples: 2 });
    const linears = [...run.quantized.linears.values()];
    const withGIdx = linears.filter((l) => l.gIdx && l.gIdx.some((k, c) => k !== Math.floor(c / 32)));
    if (withGIdx.length !== linears.length) throw new Error(`${withGIdx.length} of ${linears.length} Linears have act-order groups`);
    const sink = new MemorySink();
    await exportOnnx(run, sink, { fileName: 'model.onnx' });
    const c = run.result.config;
    const r = await verifyOnnx(sink.get('model.onnx'), run.evalTokens, c.seqLen, c.evalWindows, { executionProviders: ['wasm'] });
    if (r.scoredTokens !== run.result.evalTokens) throw new Error(`scored ${r.scoredTokens} tokens, the studio ${run.result.evalTokens}`);
    const d = relDiff(r.ppl, run.result.pplQuant);
    console.log(`GPTQ act-order: ONNX WASM ppl ${r.ppl} vs studio ${run.result.pplQuant} (fp ${run.result.pplFp}), rel ${d.toExponential(2)}`);
    if (!(d < 1e-3)) throw new Error(`ONNX perplexity ${r.ppl} differs from the studio's ${run.result.pplQuant} by ${d}`);
  },
};

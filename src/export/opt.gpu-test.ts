// OPT exports against the studio's own run on the GPU (a tiny random OPT: learned positions, LayerNorm
// with bias, biases, ReLU, tied head): the ONNX file in onnxruntime-web (WASM) and the GPTQ folder
// read back and evaluated through the studio's quantized path reproduce the studio's quantized
// perplexity on the same windows.
import type { Gpu } from '../gpu/gpu';
import { bytesSource } from '../formats/byte-source';
import { randomModel } from '../formats/random-model';
import { loadGlobals, releaseGlobals } from '../model/gpu-model';
import { perplexity } from '../eval/perplexity';
import { QuantizedBlocks } from '../quant/quantized-model';
import { exportGptq } from './gptq';
import { readGptqFolder } from './gptq-read';
import { exportOnnx } from './onnx';
import { verifyOnnx } from './onnx-runtime';
import { MemorySink } from './sink';
import { relDiff, studioRun, type StudioRun } from './testing-gpu';

let run: StudioRun | null = null;

// 2-bit groups of 16: far enough from the float model that a float export would not pass.
async function optRun(gpu: Gpu): Promise<StudioRun> {
  run ??= await studioRun(gpu, { bits: 2, groupSize: 16, symmetric: false, seqLen: 64 }, randomModel('tiny-opt', 3));
  if (run.model.weights.config.arch !== 'opt') throw new Error('not an OPT model');
  if (!(relDiff(run.result.pplQuant, run.result.pplFp) > 1e-3)) throw new Error('quantization changed nothing: the checks would not catch a float export');
  return run;
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'OPT: onnxruntime-web (WASM) perplexity = studio quantized perplexity (RTN W2 g16)'(gpu) {
    const r = await optRun(gpu);
    const sink = new MemorySink();
    await exportOnnx(r, sink, { fileName: 'model.onnx' });
    const c = r.result.config;
    const s = await verifyOnnx(sink.get('model.onnx'), r.evalTokens, c.seqLen, c.evalWindows, { executionProviders: ['wasm'] });
    if (s.scoredTokens !== r.result.evalTokens) throw new Error(`scored ${s.scoredTokens} tokens, the studio ${r.result.evalTokens}`);
    const d = relDiff(s.ppl, r.result.pplQuant);
    console.log(`OPT ONNX WASM ppl ${s.ppl} vs studio ${r.result.pplQuant} (fp ${r.result.pplFp}), rel ${d.toExponential(2)}`);
    if (!(d < 1e-4)) throw new Error(`ONNX perplexity ${s.ppl} differs from the studio's ${r.result.pplQuant} by ${d}`);
  },

  async 'OPT: GPTQ v2 folder read back and evaluated on the GPU = studio quantized perplexity'(gpu) {
    const r = await optRun(gpu);
    const sink = new MemorySink();
    await exportGptq(r, sink, { checkpointFormat: 'gptq_v2' });
    const back = await readGptqFolder([...sink.files].map(([n, b]) => bytesSource(n, b)));
    const cfg = back.model.weights.config;
    if (back.quantized.linears.size !== 6 * cfg.layers || cfg.arch !== 'opt')
      throw new Error(`${back.quantized.linears.size} GPTQ Linears read back (${cfg.arch})`);
    const globals = await loadGlobals(gpu, back.model.weights);
    const blocks = new QuantizedBlocks(gpu, back.model.weights, back.quantized, true);
    const c = r.result.config;
    const p = await perplexity(gpu, cfg, globals, blocks, r.evalTokens, { windowLen: c.seqLen, windows: c.evalWindows });
    blocks.release();
    releaseGlobals(globals);
    const d = relDiff(p.ppl, r.result.pplQuant);
    console.log(`OPT GPTQ ppl ${p.ppl} vs studio ${r.result.pplQuant}, rel ${d.toExponential(2)}`);
    if (!(d < 1e-3)) throw new Error(`GPTQ perplexity ${p.ppl} differs from the studio's ${r.result.pplQuant} by ${d}`);
  },
};

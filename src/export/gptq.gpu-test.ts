// The exported GPTQ folder, read back and unpacked, evaluated through the studio's own quantized
// path (QuantizedBlocks dequantizes the unpacked codes on the GPU) reproduces the studio's
// quantized perplexity within 1e-3 (RTN W4 g32 symmetric on stories260K; scales are fp16 in GPTQ).
import type { Gpu } from '../gpu/gpu';
import { bytesSource } from '../formats/byte-source';
import { loadGlobals, releaseGlobals } from '../model/gpu-model';
import { perplexity } from '../eval/perplexity';
import { QuantizedBlocks } from '../quant/quantized-model';
import { exportGptq } from './gptq';
import { readGptqFolder } from './gptq-read';
import { MemorySink } from './sink';
import { relDiff, studioRun } from './testing-gpu';

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'GPTQ folder read back and evaluated on the GPU = studio quantized perplexity (RTN W4 g32 sym)'(gpu) {
    const run = await studioRun(gpu, { bits: 4, groupSize: 32, symmetric: true });
    const sink = new MemorySink();
    await exportGptq(run, sink);
    const back = await readGptqFolder([...sink.files].map(([n, b]) => bytesSource(n, b)));
    if (back.quantized.linears.size !== 4 * run.model.weights.config.layers) throw new Error(`${back.quantized.linears.size} GPTQ Linears read back`);
    const cfg = back.model.weights.config;
    const globals = await loadGlobals(gpu, back.model.weights);
    const blocks = new QuantizedBlocks(gpu, back.model.weights, back.quantized, true);
    const c = run.result.config;
    const r = await perplexity(gpu, cfg, globals, blocks, run.evalTokens, { windowLen: c.seqLen, windows: c.evalWindows });
    blocks.release();
    releaseGlobals(globals);
    const d = relDiff(r.ppl, run.result.pplQuant);
    if (!(d < 1e-3)) throw new Error(`GPTQ perplexity ${r.ppl} differs from the studio's ${run.result.pplQuant} by ${d}`);
  },
};

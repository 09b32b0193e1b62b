// The exported GGUF, read back by the project's GGUF loader and evaluated on the GPU, reproduces
// the studio's quantized perplexity (RTN W4 g32 asym on stories260K: Q4_1 for the 64-wide Linears,
// F32 dequantized values for the 172-wide down_proj) within 1e-3 on the same windows.
import type { Gpu } from '../gpu/gpu';
import { bytesSource } from '../formats/byte-source';
import { loadGguf } from '../formats/gguf-model';
import { loadGlobals, releaseGlobals, SourceBlocks } from '../model/gpu-model';
import { perplexity } from '../eval/perplexity';
import { exportGguf } from './gguf-writer';
import { MemorySink } from './sink';
import { relDiff, studioRun } from './testing-gpu';

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'GGUF Q4_1 read back and evaluated on the GPU = studio quantized perplexity (RTN W4 g32 asym)'(gpu) {
    const run = await studioRun(gpu, { bits: 4, groupSize: 32, symmetric: false });
    const sink = new MemorySink();
    const report = await exportGguf(run, sink, { fileName: 'model.gguf' });
    if (!report.notes.some((n) => /down_proj\.weight: F32/.test(n))) throw new Error(`the report does not say down_proj is F32: ${report.notes.join(' | ')}`);
    const back = await loadGguf(bytesSource('model.gguf', sink.get('model.gguf')));
    const cfg = back.weights.config;
    const globals = await loadGlobals(gpu, back.weights);
    const blocks = new SourceBlocks(gpu, back.weights, true);
    const c = run.result.config;
    const r = await perplexity(gpu, cfg, globals, blocks, run.evalTokens, { windowLen: c.seqLen, windows: c.evalWindows });
    blocks.release();
    releaseGlobals(globals);
    const d = relDiff(r.ppl, run.result.pplQuant);
    if (!(d < 1e-3)) throw new Error(`GGUF perplexity ${r.ppl} differs from the studio's ${run.result.pplQuant} by ${d}`);
    if (!(relDiff(run.result.pplQuant, run.result.pplFp) > 1e-3)) throw new Error('quantization changed nothing: the check would not catch a float export');
  },
};

// GPTQ on the bundled stories260K at tiny settings (8 calibration windows of 128 tokens, W3 g32):
// its perplexity must beat round-to-nearest's on the same evaluation windows. The methods run as
// in a run (their MethodContext), evaluated on 8 windows of 128 tokens; the reference-results
// settings are for a real GPU through the CLI (SwiftShader takes seconds per window).
import type { Gpu } from '../gpu/gpu';
import { bytesSource } from '../formats/byte-source';
import { loadGguf } from '../formats/gguf-model';
import { loadGlobals, releaseGlobals } from '../model/gpu-model';
import { perplexity } from '../eval/perplexity';
import { calibrationSamples } from '../engine/calibration';
import { splitText } from '../engine/text-split';
import type { RunConfig } from '../core/run-types';
import { DEFAULT_CONFIG } from '../methods/registry';
import { QuantizedBlocks } from './quantized-model';
import { runRtn } from './methods';
import { runGptq } from './gptq-methods';
import type { MethodContext, MethodRunner } from './method-context';

async function fetchBytes(path: string) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return bytesSource(path.split('/').pop()!, new Uint8Array(await r.arrayBuffer()));
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'stories260K W3 g32, 8x128 calibration tokens: GPTQ beats round-to-nearest on the same windows'(gpu) {
    const model = await loadGguf(await fetchBytes('/models/stories260K.gguf'));
    const cfg = model.weights.config;
    const split = splitText(await (await fetch('/data/tinystories_val.txt')).text(), 'tinystories_val.txt');
    const config: RunConfig = { ...DEFAULT_CONFIG, bits: 3, groupSize: 32, calibSamples: 8, seqLen: 128 };
    const spec = { bits: config.bits, groupSize: config.groupSize, symmetric: false };
    const bos = model.tokenizer.bosId;
    const calibIds = calibrationSamples([bos, ...model.tokenizer.encode(split.calib)], config.calibSamples, config.seqLen, config.seed);
    const evalTokens = [bos, ...model.tokenizer.encode(split.eval.slice(0, 8000))];
    const globals = await loadGlobals(gpu, model.weights);
    const ppl: Record<string, number> = {};
    const runners: Record<string, MethodRunner> = { rtn: runRtn, gptq: runGptq };
    for (const [method, runner] of Object.entries(runners)) {
      const ctx: MethodContext = {
        gpu,
        cfg,
        source: model.weights,
        globals,
        spec,
        config: { ...config, method: method as RunConfig['method'] },
        calibIds,
        calibShape: { batch: config.calibSamples, seqLen: config.seqLen },
        emit: () => {},
        overrides: new Map(),
        linears: new Map(),
        details: {},
        seconds: {},
      };
      await runner(ctx);
      if (ctx.linears.size !== cfg.layers * 7) throw new Error(`${method}: ${ctx.linears.size} quantized Linears`);
      const blocks = new QuantizedBlocks(gpu, model.weights, { config: cfg, spec, linears: ctx.linears, overrides: ctx.overrides }, true);
      ppl[method] = (await perplexity(gpu, cfg, globals, blocks, evalTokens, { windowLen: 128, windows: 8 })).ppl;
      blocks.release();
    }
    releaseGlobals(globals);
    console.info(`stories260K W3 g32, 8x128 calibration tokens, 8x128 evaluation tokens: RTN ${ppl.rtn.toFixed(4)}, GPTQ ${ppl.gptq.toFixed(4)}`);
    if (!(ppl.gptq < ppl.rtn)) throw new Error(`GPTQ perplexity ${ppl.gptq} is not below RTN's ${ppl.rtn}`);
  },
};

// float64 twin of a whole GPTQ run (src/quant/gptq-methods.ts, AutoGPTQ's `quantize` loop): block
// by block on the quantized chain, each true-sequential set's H from the block's forward with the
// earlier sets already replaced by their quantized weights, the set's Linears through gptqRef, and
// the block's output with every Linear quantized as the next block's input.
import type { ModelConfig } from '../core/model-config';
import type { QuantSpec } from '../core/quant-spec';
import { globalNames, linearName, type LinearRole } from '../core/tensor-names';
import { gptqRef, hessianRef, type GptqOptions } from './gptq';
import { blockRef, type RefWeights } from './model';

/** The true-sequential sets (src/quant/gptq.ts's gptqSets, restated). */
export function gptqSetsRef(cfg: ModelConfig): LinearRole[][] {
  return cfg.arch === 'opt' ? [['q', 'k', 'v'], ['o'], ['fc1'], ['fc2']] : [['q', 'k', 'v'], ['o'], ['gate', 'up'], ['down']];
}

/** The dequantized weight of every Linear by HF tensor name, after GPTQ of the whole model on `ids` [batch, seqLen]. */
export function gptqModelRef(
  cfg: ModelConfig,
  w: RefWeights,
  ids: ArrayLike<number>,
  batch: number,
  seqLen: number,
  spec: QuantSpec,
  opts: Partial<GptqOptions> = {},
): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  const weights: RefWeights = (n) => out.get(n) ?? w(n);
  const names = globalNames(cfg.arch);
  const emb = w(names.embed);
  const H = cfg.hidden;
  let x: Float64Array = new Float64Array(ids.length * H);
  for (let t = 0; t < ids.length; t++) for (let c = 0; c < H; c++) x[t * H + c] = emb[ids[t] * H + c];
  if (names.positions) {
    const pos = w(names.positions);
    for (let t = 0; t < ids.length; t++) for (let c = 0; c < H; c++) x[t * H + c] += pos[((t % seqLen) + 2) * H + c];
  }
  for (let b = 0; b < cfg.layers; b++) {
    for (const set of gptqSetsRef(cfg)) {
      const inputs: Partial<Record<LinearRole, Float64Array>> = {};
      blockRef(cfg, weights, b, x, batch, seqLen, inputs);
      const xin = inputs[set[0]]!;
      const cols = xin.length / ids.length;
      const h = hessianRef(xin, ids.length, cols);
      for (const role of set) {
        const name = `${linearName(cfg.arch, b, role)}.weight`;
        const wt = weights(name);
        out.set(name, gptqRef(wt, wt.length / cols, cols, h, spec, opts).deq);
      }
    }
    x = blockRef(cfg, weights, b, x, batch, seqLen);
  }
  return out;
}

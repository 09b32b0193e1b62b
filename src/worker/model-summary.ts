// The part of a loaded model the UI sees: architecture, sizes, the tensor list and the export
// formats it allows (no weights).
import type { LoadedModel } from '../core/model-config';
import { exportsForModel } from '../export/model-exports';
import type { ModelSummary } from './protocol';
import { globalNames } from '../core/tensor-names';

export function summarizeModel(model: LoadedModel): ModelSummary {
  const c = model.weights.config;
  const tensors = [...model.weights.shapes].map(([name, shape]) => ({ name, shape: [...shape] }));
  // A tied LM head is the embedding matrix: listed under its own name, counted once.
  const tiedHead = c.tiedEmbeddings ? globalNames(c.arch).lmHead : undefined;
  const parameters = tensors.reduce((n, t) => (t.name === tiedHead ? n : n + t.shape.reduce((a, b) => a * b, 1)), 0);
  return {
    source: model.source,
    name: c.name,
    arch: c.arch,
    sourceArchitecture: c.sourceArchitecture,
    layers: c.layers,
    hidden: c.hidden,
    intermediate: c.intermediate,
    heads: c.heads,
    kvHeads: c.kvHeads,
    vocab: c.vocab,
    // The context the studio computes exactly: a sliding window caps it.
    maxPositions: Math.min(c.maxPositions, c.slidingWindow ?? Infinity),
    tiedEmbeddings: c.tiedEmbeddings,
    parameters,
    bytesF32: parameters * 4,
    tensors,
    exports: exportsForModel(c, model.tokenizer),
  };
}

// The part of a loaded model the UI sees: architecture, sizes, the tensor list and the export
// formats it allows (no weights).
import type { LoadedModel, ModelConfig } from '../core/model-config';
import { exportsForModel } from '../export/model-exports';
import type { ModelSummary } from './protocol';
import { biasedLinears, globalNames } from '../core/tensor-names';
import { fusesLinears } from '../formats/fused-linears';
import { hfArchitecture } from '../export/hf-files';
import { ropeExactPositions } from '../reference/rope';
import { isPartialRotary } from '../formats/partial-rotary';

/** The parts of a model's structure a user should know before choosing a method. */
export function structureNotes(c: ModelConfig): string[] {
  const notes: string[] = [];
  if (fusesLinears(c))
    notes.push(
      `q/k/v and gate/up fused in the checkpoint (read apart; its Hugging Face exports are ${hfArchitecture(c) === 'MistralForCausalLM' ? 'the same model as MistralForCausalLM' : 'Phi3ForCausalLM, fused again'})`,
    );
  const m = c.foldedMultipliers;
  if (m)
    notes.push(
      `Granite's multipliers (embedding ${m.embeddingMultiplier}, residual ${m.residualMultiplier}, attention ${m.attentionMultiplier}, logits ÷${m.logitsScaling}) folded into the weights on load; its exports are the same model as LlamaForCausalLM`,
    );
  if (c.arch === 'llama' && biasedLinears(c).length) notes.push(`biases on ${biasedLinears(c).join(', ')}`);
  if (c.qkNorm) notes.push('q and k RMS-normalised per head before RoPE');
  if (isPartialRotary(c)) notes.push(`RoPE on ${c.rotaryDim} of each head's ${c.headDim} dimensions (partial rotary; the rest pass through)`);
  if (c.noRopeLayers?.length) notes.push(`no RoPE in ${c.noRopeLayers.length} of ${c.layers} layers (${c.noRopeLayers.join(', ')})`);
  if (c.noFinalNorm) notes.push("no final norm (_remove_final_layer_norm: an OPT fine-tuned before transformers 4.20): the head reads the last block's output");
  if (c.postNorm) notes.push('post-norm blocks: TEQ and AWQ scale v→out_proj and fc1→fc2 only (no norm to fold a scale into)');
  if (c.embedDim !== undefined) notes.push(`embedding ${c.embedDim} wide, projected to the blocks' ${c.hidden} and back`);
  if (c.slidingWindow !== undefined) notes.push(`sliding window of ${c.slidingWindow} tokens (runs up to it are exact)`);
  const foldedInto = c.qkNorm ? 'the q and k norms' : isPartialRotary(c) ? "q_proj's and k_proj's rotated rows" : 'q_proj and k_proj';
  if (c.ropeScaling?.type === 'longrope')
    notes.push(
      `RoPE scaling: longrope, its short factors (runs up to ${c.ropeScaling.originalMaxPositions} tokens); its attention factor ${c.ropeScaling.attentionFactor.toPrecision(6)} folded into ${foldedInto} on load`,
    );
  else if (c.ropeScaling?.type === 'yarn')
    notes.push(
      `RoPE scaling: yarn, factor ${c.ropeScaling.factor} over ${c.ropeScaling.originalMaxPositions} positions; its attention factor ${c.ropeScaling.attentionFactor.toPrecision(6)} folded into ${foldedInto} on load`,
    );
  else if (c.ropeScaling?.type === 'dynamic')
    notes.push(
      `RoPE scaling: dynamic NTK (factor ${c.ropeScaling.factor}), unscaled up to ${c.ropeScaling.originalMaxPositions} tokens, the runs the studio computes`,
    );
  else if (c.ropeScaling) notes.push(`RoPE scaling: ${c.ropeScaling.type}`);
  if (c.storedQuantization)
    notes.push(
      `weights stored quantized in the file (${c.storedQuantization.join(', ')}), dequantized on load: the "fp" baseline is that quantized model, not the original; an f16 GGUF or the safetensors give the original`,
    );
  return notes;
}

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
    headDim: c.headDim,
    vocab: c.vocab,
    // The context the studio computes exactly: a sliding window and LongRoPE's or dynamic NTK's original length cap it.
    maxPositions: Math.min(c.maxPositions, c.slidingWindow ?? Infinity, ropeExactPositions(c)),
    tiedEmbeddings: c.tiedEmbeddings,
    structure: structureNotes(c),
    parameters,
    bytesF32: parameters * 4,
    tensors,
    exports: exportsForModel(c, model.tokenizer),
  };
}

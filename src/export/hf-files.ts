// The non-weight files of a Hugging Face folder export: config.json (LLaMA family, with the
// source's own architecture for Qwen2/Qwen3/Mistral; OPT), generation_config.json, tokenizer files.
import { windowedLayer, type LoadedModel, type ModelConfig } from '../core/model-config';
import { biasedLinears } from '../core/tensor-names';
import { sentencePieceTokenizerConfig, sentencePieceToTokenizerJson } from '../formats/convert-hf';
import { linearBiases, toHfLlamaConfig, toHfOptConfig } from '../formats/hf-config';
import { HfTokenizer } from '../formats/hf-tokenizer';
import { SentencePieceBpeTokenizer } from '../formats/sentencepiece-bpe';
import { fusesLinears } from '../formats/fused-linears';
import { isPartialRotary } from '../formats/partial-rotary';
import type { ExportSink } from './sink';

/**
 * The transformers class a model is written back as: a Qwen GGUF as its Qwen class; Phi-3 as
 * MistralForCausalLM, the same computation (RMSNorm, rotate-half RoPE, SwiGLU, sliding window) with
 * q/k/v and gate/up as separate Linears, as the engine and the GPTQ readers hold them; Granite (HF
 * or GGUF) as LlamaForCausalLM, which its weights are once its multipliers are folded in on load.
 * A partial rotary Phi-3 (Phi-4-mini) stays Phi3ForCausalLM, q/k/v and gate/up fused again
 * (phi3-fused.ts), since only Phi-3's rotary embedding passes dims through.
 * A LongRoPE Phi-3 keeps its rope_scaling (longrope, attention_factor 1.0 since q/k carry it): Mistral's
 * rotary embedding takes any rope_type of modeling_rope_utils and switches to long_factor past
 * original_max_position_embeddings as Phi-3's does.
 */
export function hfArchitecture(cfg: ModelConfig): string {
  if (cfg.sourceArchitecture === 'gguf:qwen2') return 'Qwen2ForCausalLM';
  if (cfg.sourceArchitecture === 'gguf:qwen3') return 'Qwen3ForCausalLM';
  // Mistral turns every head dimension: a partial rotary Phi-3 (Phi-4-mini) stays Phi3ForCausalLM, fused
  if (fusesLinears(cfg)) return isPartialRotary(cfg) ? 'Phi3ForCausalLM' : 'MistralForCausalLM';
  if (cfg.foldedMultipliers) return 'LlamaForCausalLM';
  return cfg.sourceArchitecture;
}

export function hfConfigJson(cfg: ModelConfig): Record<string, unknown> {
  if (cfg.arch === 'opt') return toHfOptConfig(cfg);
  const c = toHfLlamaConfig(cfg);
  const source = hfArchitecture(cfg);
  if (source === 'Qwen2ForCausalLM') {
    const { attention_bias: _bias, mlp_bias: _mlp, pretraining_tp: _tp, ...rest } = c;
    return { ...rest, architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', ...layerWindow(cfg) };
  }
  if (source === 'Qwen3ForCausalLM') {
    const { mlp_bias: _mlp, pretraining_tp: _tp, ...rest } = c;
    return { ...rest, architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', ...layerWindow(cfg) };
  }
  if (source === 'SmolLM3ForCausalLM') {
    const { pretraining_tp: _tp, ...rest } = c;
    const noRope = new Set(cfg.noRopeLayers ?? []);
    return {
      ...rest,
      architectures: ['SmolLM3ForCausalLM'],
      model_type: 'smollm3',
      no_rope_layers: Array.from({ length: cfg.layers }, (_, i) => (noRope.has(i) ? 0 : 1)),
      ...layerWindow(cfg),
    };
  }
  if (source === 'Phi3ForCausalLM') {
    const { attention_bias: _bias, mlp_bias: _mlp, pretraining_tp: _tp, ...rest } = c;
    return {
      ...rest,
      architectures: ['Phi3ForCausalLM'],
      model_type: 'phi3',
      partial_rotary_factor: cfg.rotaryDim! / cfg.headDim,
      sliding_window: cfg.slidingWindow ?? null,
    };
  }
  if (source === 'MistralForCausalLM') {
    const { attention_bias: _bias, mlp_bias: _mlp, pretraining_tp: _tp, ...rest } = c;
    return { ...rest, architectures: ['MistralForCausalLM'], model_type: 'mistral', sliding_window: cfg.slidingWindow ?? null };
  }
  return c;
}

/**
 * Qwen2's, Qwen3's and SmolLM3's window keys: off, or on with the source's windowed layers as
 * layer_types (transformers 4.53 and later read it) and max_window_layers at the first of them (what
 * 4.x Qwen configs read; the same layers where they run to the last, as max_window_layers gives them).
 */
function layerWindow(cfg: ModelConfig): Record<string, unknown> {
  if (cfg.slidingWindow === undefined) return { use_sliding_window: false, sliding_window: null };
  const layers = Array.from({ length: cfg.layers }, (_, i) => i);
  return {
    use_sliding_window: true,
    sliding_window: cfg.slidingWindow,
    max_window_layers: layers.find((i) => windowedLayer(cfg, i)),
    layer_types: layers.map((i) => (windowedLayer(cfg, i) ? 'sliding_attention' : 'full_attention')),
  };
}

/** Why this model cannot be written as an HF folder by these exporters, or null. */
export function hfFolderProblem(model: { config: ModelConfig; tokenizer?: LoadedModel['tokenizer'] }): string | null {
  const cfg = model.config;
  if (cfg.ropeScaling?.type === 'factors')
    return "the model's RoPE scaling is per-frequency factors (a GGUF rope_freqs tensor), which config.json cannot state; load the model's Hugging Face folder to export one";
  if (isPartialRotary(cfg) && !fusesLinears(cfg))
    return `the model turns ${cfg.rotaryDim} of each head's ${cfg.headDim} dimensions (partial rotary), which transformers reads only from a Phi3ForCausalLM folder; export ONNX instead`;
  const biases = undeclarableBiases(cfg);
  if (biases) return biases;
  const tok = model.tokenizer;
  if (tok && !(tok instanceof SentencePieceBpeTokenizer) && !(tok instanceof HfTokenizer)) return 'the tokenizer is of a kind the exporter cannot write';
  return null;
}

/** The biases a config of the class the model is written as cannot declare (read back as hf-config.ts reads them), or null. */
function undeclarableBiases(cfg: ModelConfig): string | null {
  if (cfg.arch === 'opt') return null;
  const written = hfConfigJson(cfg);
  const arch = (written.architectures as string[])[0];
  const back = linearBiases(written, arch);
  if (back.qkvBias === cfg.qkvBias && back.outBias === cfg.outBias && back.mlpBias === cfg.mlpBias) return null;
  return `${cfg.sourceArchitecture} has biases on ${biasedLinears(cfg).join(', ') || 'no Linear'}, which a ${arch} config cannot declare`;
}

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v, null, 2) + '\n');

export async function writeJsonFile(sink: ExportSink, name: string, value: unknown): Promise<{ name: string; bytes: number }> {
  const w = await sink.createFile(name);
  await w.write(json(value));
  await w.close();
  return { name, bytes: w.written };
}

/**
 * The source's tokenizer_config.json without an add_prefix_space of null: GPT2Tokenizer (Granite's,
 * OPT's) refuses a null there in transformers 5, which loaded the source only because its model_type
 * chose another tokenizer class; an export written as LlamaForCausalLM reaches GPT2Tokenizer.
 * Absent, the class takes its default (false).
 */
export function exportedTokenizerConfig(source: unknown): unknown {
  const cfg = source as Record<string, unknown> | null;
  if (!cfg || typeof cfg !== 'object' || cfg.add_prefix_space !== null) return source;
  const { add_prefix_space: _null, ...rest } = cfg;
  return rest;
}

/** config.json (+ extra fields), generation_config.json, tokenizer.json, tokenizer_config.json. */
export async function writeHfSideFiles(
  sink: ExportSink,
  model: LoadedModel,
  cfg: ModelConfig,
  configExtra: Record<string, unknown> = {},
): Promise<{ name: string; bytes: number }[]> {
  const files = [
    await writeJsonFile(sink, 'config.json', { ...hfConfigJson(cfg), ...configExtra }),
    await writeJsonFile(sink, 'generation_config.json', { bos_token_id: cfg.bosId, eos_token_id: cfg.eosId }),
  ];
  const tok = model.tokenizer;
  if (tok instanceof SentencePieceBpeTokenizer) {
    files.push(await writeJsonFile(sink, 'tokenizer.json', sentencePieceToTokenizerJson(tok.vocab)));
    files.push(await writeJsonFile(sink, 'tokenizer_config.json', sentencePieceTokenizerConfig(tok.vocab, cfg)));
  } else if (tok instanceof HfTokenizer) {
    files.push(await writeJsonFile(sink, 'tokenizer.json', tok.tokenizerJson));
    files.push(await writeJsonFile(sink, 'tokenizer_config.json', exportedTokenizerConfig(tok.tokenizerConfig)));
  } else {
    throw new Error('the tokenizer is of a kind the exporter cannot write');
  }
  return files;
}

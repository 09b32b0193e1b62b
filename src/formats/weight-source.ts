// Turns a format's tensors (already under HF names) into a WeightSource: every tensor the config
// implies must be there with the right shape; when tied, a missing lm_head is the embedding and a
// missing embedding is lm_head.
import type { ModelConfig, WeightSource } from '../core/model-config';
import { FormatError } from './errors';
import { expectedShapes, MAX_LAYERS, sameShape } from './hf-config';
import { globalNames } from '../core/tensor-names';

export interface TensorEntry {
  /** HF [out, in] order. */
  shape: number[];
  /** The file holding it, for messages. */
  file: string;
  read(): Promise<Float32Array>;
}

/** Buffers some checkpoints save that the model recomputes (older LLaMA's rotary inverse frequencies). */
const IGNORED = /\.rotary_emb\.inv_freq$/;

export function buildWeightSource(config: ModelConfig, tensors: Map<string, TensorEntry>, what: string, configFile = 'the header'): WeightSource {
  const shapes = new Map<string, number[]>();
  const readers = new Map<string, TensorEntry>();
  // The expected tensor list is built per layer: a hostile layer count must not build millions.
  if (!(Number.isSafeInteger(config.layers) && config.layers > 0 && config.layers <= MAX_LAYERS)) {
    throw new FormatError(
      what,
      `declares ${config.layers} layers in ${configFile}, over the limit of ${MAX_LAYERS}`,
      'The file is corrupt: use the original from the model repo',
    );
  }
  for (const [name, shape] of expectedShapes(config)) {
    let t = tensors.get(name);
    if (!t && name === 'lm_head.weight') {
      if (!config.tiedEmbeddings) {
        throw new FormatError(
          what,
          'is missing "lm_head.weight" and the config does not tie it to the embedding (tie_word_embeddings is false)',
          'Use a complete checkpoint, or set tie_word_embeddings to true if the model really shares them',
        );
      }
      t = tensors.get(globalNames(config.arch).embed);
    }
    // Tied, and stored under the head's name only: safetensors conversions of OPT (and MobileLLM)
    // kept one name of the shared tensor, lm_head's. transformers ties them either way round.
    if (!t && name === globalNames(config.arch).embed && config.tiedEmbeddings) t = tensors.get('lm_head.weight');
    if (!t) {
      throw new FormatError(
        what,
        `is missing a tensor the config implies (${config.layers} layers, ${config.sourceArchitecture})`,
        'Use the complete checkpoint: all shards, and the config.json that belongs to it',
        name,
      );
    }
    if (!sameShape(t.shape, shape)) {
      throw new FormatError(
        t.file,
        `has shape [${t.shape.join(', ')}] but ${configFile} implies [${shape.join(', ')}]`,
        'The weights and the config do not belong together: use the config.json from the same repo and revision',
        name,
      );
    }
    shapes.set(name, shape);
    readers.set(name, t);
  }
  // A tensor the config does not account for (a sixth layer of a 5-layer config, a renamed or
  // foreign tensor) means the config and the weights do not describe the same model.
  const unused = [...tensors.keys()].filter((n) => !shapes.has(n) && !IGNORED.test(n));
  if (unused.length) {
    throw new FormatError(
      what,
      `holds ${unused.length} tensor${unused.length === 1 ? '' : 's'} that ${configFile} (${config.layers} layers, ${config.sourceArchitecture}) does not account for: ${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ', ...' : ''}`,
      "The weights and the config do not belong together: use the config.json from the same repo and revision, and only that model's files",
    );
  }
  return {
    config,
    shapes,
    async get(name: string): Promise<Float32Array> {
      const t = readers.get(name);
      if (!t) throw new FormatError(what, 'is not a tensor of this model', `Known tensors: ${[...readers.keys()].slice(0, 6).join(', ')}, ...`, name);
      const data = await t.read();
      const numel = t.shape.reduce((a, b) => a * b, 1);
      if (data.length !== numel) throw new FormatError(t.file, `read ${data.length} values, expected ${numel}`, 'The file is corrupt: download it again', name);
      checkFinite(data, t.file, name);
      return data;
    },
  };
}

/** NaN or ±Inf in a weight make every result after it NaN: refused when the tensor is read, naming it. */
export function checkFinite(data: Float32Array, file: string, name: string): void {
  let bad = 0;
  let first = -1;
  let nan = 0;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (x - x !== 0) {
      bad++;
      if (first < 0) first = i;
      if (x !== x) nan++;
    }
  }
  if (bad) {
    throw new FormatError(
      file,
      `has ${bad} non-finite value${bad === 1 ? '' : 's'} (${nan} NaN, ${bad - nan} infinite) of ${data.length}, the first at index ${first}`,
      'The checkpoint is corrupt or was saved from a diverged training: use a finite checkpoint',
      name,
    );
  }
}

// A Hugging Face model folder (config.json, tokenizer.json, model.safetensors or an index + shards)
// given as ByteSources, as a LoadedModel. Used for local folders and, after download, for the Hub.
import type { LoadedModel, ModelConfig } from '../core/model-config';
import { readJson, utf8, type ByteSource } from './byte-source';
import { byteLevelTokenizerJson } from './byte-level-bpe';
import { FormatError } from './errors';
import { refuseQuantizedCheckpoint, parseHfConfig } from './hf-config';
import { HfTokenizer } from './hf-tokenizer';
import { readSafetensorsHeader, readSafetensorsTensor, type SafetensorsFile } from './safetensors';
import { checkTokenIds } from './token-ids';
import { buildWeightSource, type TensorEntry } from './weight-source';
import { engineTensors } from './engine-tensors';

export const INDEX_FILE = 'model.safetensors.index.json';
const MAX_SHARDS = 4096;

export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** The shard file names an index lists, validated. */
export function parseSafetensorsIndex(json: unknown, file = INDEX_FILE): { weightMap: Map<string, string>; shards: string[] } {
  const wm = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) {
    throw new FormatError(file, 'has no "weight_map" object', 'Use the model.safetensors.index.json from the model repo');
  }
  const weightMap = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(wm as Record<string, unknown>)) {
    if (typeof shard !== 'string' || !/^[\w.-]+\.safetensors$/.test(shard)) {
      throw new FormatError(
        file,
        `maps tensor "${tensor}" to ${JSON.stringify(shard)}, not a .safetensors file name`,
        'The index is corrupt: download it again',
      );
    }
    weightMap.set(tensor, shard);
  }
  const shards = [...new Set(weightMap.values())];
  if (shards.length > MAX_SHARDS) throw new FormatError(file, `lists ${shards.length} shards, over the limit of ${MAX_SHARDS}`, 'The index is corrupt');
  return { weightMap, shards };
}

/** transformers accepts OPT checkpoints saved without the "model." prefix. */
export function normalizeHfTensorName(name: string, cfg: ModelConfig): string {
  if (cfg.arch === 'opt' && name.startsWith('decoder.')) return `model.${name}`;
  return name;
}

/** Tensor entries from parsed safetensors headers, with index consistency checks. */
export function tensorsFromSafetensors(cfg: ModelConfig, files: SafetensorsFile[], weightMap?: Map<string, string>): Map<string, TensorEntry> {
  const out = new Map<string, TensorEntry>();
  for (const f of files) {
    for (const info of f.tensors.values()) {
      const name = normalizeHfTensorName(info.name, cfg);
      const prior = out.get(name);
      if (prior) throw new FormatError(f.source.name, `holds a tensor that ${prior.file} also holds`, 'Remove the duplicate or stale shard', name);
      out.set(name, { shape: info.shape, file: f.source.name, read: () => readSafetensorsTensor(f, info.name) });
    }
  }
  if (weightMap) {
    for (const [tensor, shard] of weightMap) {
      const entry = out.get(normalizeHfTensorName(tensor, cfg));
      if (!entry || baseName(entry.file) !== shard) {
        throw new FormatError(
          shard,
          `does not hold the tensor the index maps to it`,
          'The shards and the index are from different revisions: download them again',
          tensor,
        );
      }
    }
  }
  return engineTensors(cfg, out);
}

export function describeHfFolder(names: string[]): string {
  return names.length ? names.map(baseName).join(', ') : 'no files';
}

export async function loadHfFolder(files: ByteSource[], source = `local:${files.map((f) => baseName(f.name)).join('+')}`): Promise<LoadedModel> {
  const byName = new Map<string, ByteSource>();
  for (const f of files) byName.set(baseName(f.name), f);
  const need = (name: string, why: string): ByteSource => {
    const f = byName.get(name);
    if (!f) throw new FormatError(name, `is missing (got ${describeHfFolder([...byName.keys()])})`, why);
    return f;
  };
  const cfgFile = need('config.json', 'Select the whole model folder: config.json, tokenizer.json and the .safetensors files');
  // Display name: the repo id, else the folder the files came from.
  const dir = cfgFile.name.split(/[\\/]/).slice(-2, -1)[0];
  const name = source.startsWith('hf:') ? source.slice(3) : dir || 'local model';
  const configJson = await readJson(cfgFile);
  refuseQuantizedCheckpoint(configJson, cfgFile.name);
  const config = parseHfConfig(configJson, cfgFile.name, name);
  const tokCfgFile = byName.get('tokenizer_config.json');
  const tokCfg = tokCfgFile ? await readJson(tokCfgFile) : {};
  const ids = { bosId: config.bosId, eosId: config.eosId };
  let tokenizer: HfTokenizer;
  let tokenizerFile: string;
  const vocabFile = byName.get('vocab.json');
  const mergesFile = byName.get('merges.txt');
  if (!byName.has('tokenizer.json') && vocabFile && mergesFile) {
    // GPT-2 style repos (OPT) ship vocab.json + merges.txt only.
    if (mergesFile.size > 64 << 20) throw new FormatError(mergesFile.name, 'is over 64 MiB', 'Is this the right file?');
    const json = byteLevelTokenizerJson(await readJson(vocabFile), utf8(await mergesFile.read(0, mergesFile.size)));
    tokenizerFile = 'vocab.json + merges.txt';
    tokenizer = new HfTokenizer(json, tokCfg, ids, tokenizerFile);
  } else {
    const tokFile = need(
      'tokenizer.json',
      'This loader needs tokenizer.json, or vocab.json + merges.txt (repos with only tokenizer.model are not supported): select it too',
    );
    tokenizerFile = tokFile.name;
    tokenizer = new HfTokenizer(await readJson(tokFile), tokCfg, ids, tokenizerFile);
  }
  checkTokenIds(config, tokenizer, tokenizerFile, cfgFile.name);

  let shards: ByteSource[];
  let weightMap: Map<string, string> | undefined;
  const index = byName.get(INDEX_FILE);
  if (index) {
    const parsed = parseSafetensorsIndex(await readJson(index), index.name);
    weightMap = parsed.weightMap;
    shards = parsed.shards.map((s) => need(s, `The index ${INDEX_FILE} lists it: select every shard`));
  } else {
    shards = [...byName.entries()].filter(([n]) => n.endsWith('.safetensors')).map(([, f]) => f);
    if (shards.length === 0) {
      throw new FormatError(
        'model.safetensors',
        `is missing (got ${describeHfFolder([...byName.keys()])})`,
        'This loader reads .safetensors weights (not pytorch_model.bin): select model.safetensors, or the index and all its shards',
      );
    }
  }
  const headers = await Promise.all(shards.map(readSafetensorsHeader));
  const tensors = tensorsFromSafetensors(config, headers, weightMap);
  const what = shards.length === 1 ? shards[0].name : `${INDEX_FILE} shards`;
  return { weights: buildWeightSource(config, tensors, what, 'config.json'), tokenizer, source };
}

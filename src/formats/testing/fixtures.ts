// Paths and loaders for the fixtures the tests use: the bundled model and texts in public/ (their
// origins and licences: public/LICENSES; reference values: test/fixtures/README.md).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bytesSource, type ByteSource } from '../byte-source';

/** Paths are relative to public/: `models/stories260K.gguf`, `data/wiki.test.raw`... */
export const FIXTURES = resolve(__dirname, '../../../public');
export const HF_DIR = resolve(FIXTURES, 'models/stories260K-hf');
export const HF_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'];

export function fixture(rel: string): ByteSource {
  return bytesSource(rel.split('/').pop()!, new Uint8Array(readFileSync(resolve(FIXTURES, rel))));
}

export function fixtureText(rel: string): string {
  return readFileSync(resolve(FIXTURES, rel), 'utf8');
}

export function hfFolderSources(dir = HF_DIR, names = HF_FILES): ByteSource[] {
  return names.map((n) => bytesSource(n, new Uint8Array(readFileSync(resolve(dir, n)))));
}

/** From test/fixtures/README.md. */
export const REFERENCE_SENTENCE = 'Once upon a time, there was a little girl named Lily.';
export const REFERENCE_IDS = [403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426];
export const GREEDY_IDS = [
  1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426,
  385,
];
export const GREEDY_TEXT = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One';

/** The stories260K HF folder split into two safetensors shards plus model.safetensors.index.json. */
export async function shardedStoriesFiles(): Promise<Map<string, Uint8Array>> {
  const { loadHfFolder } = await import('../hf-folder');
  const { writeSafetensors } = await import('../safetensors');
  const m = await loadHfFolder(hfFolderSources());
  const names = [...m.weights.shapes.keys()].filter((n) => n !== 'lm_head.weight');
  const shards: [string, string[]][] = [
    ['model-00001-of-00002.safetensors', names.filter((n) => !/layers\.[34]\./.test(n))],
    ['model-00002-of-00002.safetensors', names.filter((n) => /layers\.[34]\./.test(n))],
  ];
  const files = new Map<string, Uint8Array>();
  const weightMap: Record<string, string> = {};
  for (const [file, list] of shards) {
    const tensors = await Promise.all(list.map(async (name) => ({ name, shape: m.weights.shapes.get(name)!, data: await m.weights.get(name) })));
    files.set(file, writeSafetensors(tensors));
    for (const n of list) weightMap[n] = file;
  }
  files.set('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify({ metadata: {}, weight_map: weightMap })));
  for (const n of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) files.set(n, new Uint8Array(readFileSync(resolve(HF_DIR, n))));
  return files;
}

/** Bitwise equality of two float arrays (fast; vitest's deep equality is slow on big arrays). */
export function bitEqual(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** The stories260K HF folder with one of its JSON files edited (a planted fault). */
export function editedFolder(file: string, edit: (j: Record<string, any>) => void): ByteSource[] {
  return hfFolderSources().map((s) => {
    if (s.name !== file) return s;
    const j = JSON.parse(readFileSync(resolve(HF_DIR, file), 'utf8')) as Record<string, any>;
    edit(j);
    return bytesSource(file, new TextEncoder().encode(JSON.stringify(j)));
  });
}

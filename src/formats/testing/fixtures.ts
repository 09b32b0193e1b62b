// Paths and loaders for the shared fixtures used by the format tests.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bytesSource, type ByteSource } from '../byte-source';

export const FIXTURES = process.env.FIXTURES_DIR ?? '/work/shared/fixtures';
export const HF_DIR = resolve(__dirname, '../../../public/models/stories260K-hf');
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

/** From fixtures/README.md. */
export const REFERENCE_SENTENCE = 'Once upon a time, there was a little girl named Lily.';
export const REFERENCE_IDS = [403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426];
export const GREEDY_IDS = [
  1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385,
];
export const GREEDY_TEXT = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One';

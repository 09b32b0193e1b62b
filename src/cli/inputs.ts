// What the CLI commands share: loading a model and a text split by name or path, and failing
// with a clear message.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pathSources } from './node-files';
import { loadModelFromFiles } from '../formats/load';
import { readLlama2cHeader } from '../formats/llama2c';
import { splitText, twoFileSplit, type TextSplit } from '../engine/text-split';
import type { Method, RunConfig } from '../core/run-types';
import { QUANTIZING_METHODS } from '../methods/registry';
import type { LoadedModel } from '../core/model-config';
import { randomModel } from '../formats/random-model';
import { ParallelDraw } from './parallel-draw';

export function fail(msg: string): never {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(1);
}

/** A `--methods a,b,c` list, each one of the registry's quantizing methods. */
export function methodList(list: string): Method[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) if (!(QUANTIZING_METHODS as readonly string[]).includes(n)) fail(`--methods: "${n}" is not one of ${QUANTIZING_METHODS.join(', ')}`);
  return names as Method[];
}

export function repoRoot(): string {
  // dist-node/studio.mjs or src/cli/studio.ts: the repo is two levels up either way.
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['..', '../..']) if (existsSync(join(here, up, 'public/data'))) return resolve(here, up);
  return process.cwd();
}

export async function loadModel(spec: string): Promise<LoadedModel> {
  // the CLI keeps the drawn weights (every phase reloads blocks) and draws them in worker threads
  if (spec.startsWith('random:')) {
    const threads = new ParallelDraw();
    return randomModel(spec.slice(7), 0, { keep: true, draw: (name, shape, seed) => threads.draw(name, shape, seed) });
  }
  if (spec === 'bundled' || spec === 'bundled:stories260K') {
    const m = await loadModelFromFiles(await pathSources(join(repoRoot(), 'public/models/stories260K.gguf')));
    return { ...m, source: 'bundled:stories260K' };
  }
  if (!existsSync(spec)) fail(`model path ${spec} does not exist`);
  let sources = await pathSources(spec);
  if (spec.endsWith('.bin') && sources.length === 1) {
    const dir = dirname(spec);
    const tok = ['tokenizer.bin', 'tok512.bin', 'tok32000.bin'].map((n) => join(dir, n)).find(existsSync);
    // The header first: a random .bin is "not a llama2.c model", not one missing its tokenizer.
    const h = await readLlama2cHeader(sources[0]);
    if (!tok) fail(`${spec} has a llama2.c header (dim ${h.dim}, ${h.layers} layers, vocab ${h.vocab}): put its tokenizer .bin beside it (tokenizer.bin)`);
    sources = [...sources, ...(await pathSources(tok))];
  }
  const m = await loadModelFromFiles(sources);
  return { ...m, source: `local:${spec}` };
}

export async function loadText(name: string): Promise<{ split: TextSplit; source: RunConfig['text'] }> {
  const data = join(repoRoot(), 'public/data');
  const read = (f: string) => readFile(join(data, f), 'utf8');
  if (name === 'tinystories') return { split: splitText(await read('tinystories_val.txt'), 'tinystories_val.txt'), source: name };
  if (name === 'tinyshakespeare') return { split: splitText(await read('tinyshakespeare.txt'), 'tinyshakespeare.txt'), source: name };
  if (name === 'wikitext2')
    return { split: twoFileSplit(await read('wiki.valid.raw'), await read('wiki.test.raw'), 'wiki.valid.raw', 'wiki.test.raw'), source: name };
  if (!existsSync(name)) fail(`--text must be tinystories, wikitext2, tinyshakespeare or a text file; ${name} is none of these`);
  return { split: splitText(await readFile(name, 'utf8'), name), source: 'custom' };
}

/**
 * The URL parser's notes say what the studio did instead (used the default, ignored the field);
 * the CLI stops instead, so its message says only what was wrong.
 */
export function cliConfigErrors(notes: string[]): string {
  return notes.map((n) => n.replace(/; the default .* was used\.$/, '.').replace(/^Unknown parameter "(.*)" was ignored\.$/, 'unknown flag --$1.')).join('\n');
}

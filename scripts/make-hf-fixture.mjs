#!/usr/bin/env node
// Writes the stories260K Hugging Face folder (public/models/stories260K-hf/) from the bundled
// llama2.c checkpoint + tok512.bin (public/models/), using the project's own converter
// (src/formats/convert-hf.ts, loaded through Vite's SSR module loader).
// Usage: node scripts/make-hf-fixture.mjs [sourceDir]
//   sourceDir (optional): a folder holding fresh copies of stories260K.gguf, stories260K.bin,
//   tok512.bin and the texts (tinystories/tinystories_val.txt, wikitext-2-raw/wiki.test.raw,
//   wikitext-2-raw/wiki.valid.raw, tinyshakespeare/input.txt); they are copied into public/ first.
//   Without it, the files already in public/ are used (origins: public/LICENSES).
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const models = join(root, 'public/models');
const data = join(root, 'public/data');
mkdirSync(join(models, 'stories260K-hf'), { recursive: true });
mkdirSync(data, { recursive: true });
// Source files may be read-only; the copies are ordinary project files.
function copy(from, to) {
  copyFileSync(from, to);
  chmodSync(to, 0o644);
}

if (process.argv[2]) {
  const source = resolve(process.argv[2]);
  for (const f of ['stories260K.gguf', 'stories260K.bin', 'tok512.bin']) copy(join(source, f), join(models, f));
  const texts = {
    'tinystories_val.txt': 'tinystories/tinystories_val.txt',
    'wiki.test.raw': 'wikitext-2-raw/wiki.test.raw',
    'wiki.valid.raw': 'wikitext-2-raw/wiki.valid.raw',
    'tinyshakespeare.txt': 'tinyshakespeare/input.txt',
  };
  for (const [to, from] of Object.entries(texts)) copy(join(source, from), join(data, to));
}

const server = await createServer({ root, configFile: false, server: { middlewareMode: true, hmr: false }, appType: 'custom', logLevel: 'error' });
try {
  const { bytesSource } = await server.ssrLoadModule('/src/formats/byte-source.ts');
  const { loadLlama2c } = await server.ssrLoadModule('/src/formats/llama2c.ts');
  const { convertToHfFolder } = await server.ssrLoadModule('/src/formats/convert-hf.ts');
  const model = await loadLlama2c(
    bytesSource('stories260K.bin', readFileSync(join(models, 'stories260K.bin'))),
    bytesSource('tok512.bin', readFileSync(join(models, 'tok512.bin'))),
  );
  const files = await convertToHfFolder(model);
  for (const [name, bytes] of files) writeFileSync(join(models, 'stories260K-hf', name), bytes);
  console.log(`wrote ${[...files.keys()].join(', ')} to public/models/stories260K-hf/`);
} finally {
  await server.close();
}

// Runs the studio's GGUF exports in real llama.cpp (through the npm package node-llama-cpp, on the
// CPU) and stores what it computes, for src/export/llama-cpp-reference.test.ts: per export the
// tokens llama.cpp makes of two texts and its logits at 12 positions. No GPU needed:
//   node scripts/build-node.mjs write-checkpoints && node dist-node/write-checkpoints.mjs /tmp/cases --exports
//   npm install --no-save node-llama-cpp@3.22.1      (its prebuilt binaries: about 700 MB, so not a dependency)
//   node scripts/llama-cpp-reference.mjs /tmp/cases/exports/gguf test/fixtures/llama-cpp-reference
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuLlama, logitsAt } from './llama-cpp.mjs';

// The texts of src/export/testing-gguf.ts (LLAMA_CPP_TEXTS); the logits at BOS and the first 11 tokens of `text`.
const TEXTS = {
  text: 'the theater is in the north. THE END!',
  long: 'Once upon a time, there was a little girl named Lily.\nShe liked to play outside \u2014 in the sun!  \u00dcn\u00efc\u00f6d\u00e9 123.',
};
const POSITIONS = 12;

const [ggufDir, outDir] = process.argv.slice(2);
if (!ggufDir || !outDir) {
  console.error('usage: node scripts/llama-cpp-reference.mjs <folder of .gguf exports> <output folder>');
  process.exit(2);
}
const llama = await cpuLlama();
// the package's folder, from its entry (its "exports" do not list package.json)
const root = fileURLToPath(new URL('..', import.meta.resolve('node-llama-cpp')));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const release = JSON.parse(readFileSync(join(root, 'llama/llama.cpp.info.json'), 'utf8'));
const manifest = {
  nodeLlamaCpp: pkg.version,
  llamaCpp: `${release.llamaCppGithubRepo} ${release.tag}`,
  texts: TEXTS,
  cases: {},
};
const blob = [];
let offset = 0;
for (const file of readdirSync(ggufDir)
  .filter((f) => f.endsWith('.gguf'))
  .sort()) {
  const name = file.replace(/\.gguf$/, '');
  const bytes = readFileSync(join(ggufDir, file));
  const model = await llama.loadModel({ modelPath: join(ggufDir, file) });
  const text = Array.from(model.tokenize(TEXTS.text, false));
  const long = Array.from(model.tokenize(TEXTS.long, false));
  const bos = model.tokens.bos;
  const ids = (bos === null ? text : [bos, ...text]).slice(0, POSITIONS);
  const context = await model.createContext({ contextSize: 64, batchSize: 64 });
  const results = await logitsAt(context.getSequence(), ids);
  const vocab = results[0].size; // every token's logit: no filter was asked for
  const rows = new Float32Array(ids.length * vocab);
  results.forEach((logits, t) => {
    for (const [id, v] of logits) rows[t * vocab + id] = v;
  });
  blob.push(rows);
  manifest.cases[name] = {
    gguf: createHash('sha256').update(bytes).digest('hex'),
    ids,
    text,
    long,
    offset,
    shape: [ids.length, vocab],
  };
  offset += rows.length;
  console.log(`${name}: ${ids.length} positions x ${vocab}, text ${text.length} tokens, long ${long.length}`);
  await context.dispose();
  await model.dispose();
}
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'cases.json'), JSON.stringify(manifest, null, 1) + '\n');
writeFileSync(join(outDir, 'logits.f32'), Buffer.concat(blob.map((b) => Buffer.from(b.buffer))));
console.log(`${Object.keys(manifest.cases).length} exports -> ${outDir}`);

// Writes the tiny transformers-layout checkpoints of the tests (formats/testing/hf-checkpoint-cases.ts)
// as folders on disk, for trying the CLI on them:
//   node scripts/build-node.mjs write-checkpoints && node dist-node/write-checkpoints.mjs <outDir>
//   node dist-node/studio.mjs quantize --model <outDir>/Qwen2.5-style --method gptq --bits 4 --groupSize 32 ...
// With --exports, also each case's fp-safetensors and GPTQ exports of an RTN W4 g32 run, in
// <outDir>/exports/<format>/<case>/, and studio-logits.json (the float64 logits of each GPTQ folder
// as the studio reads it back, for 12 tokens, or as many as a sliding window leaves exact), which
// scripts/transformers-exports.py checks in transformers; and in <outDir>/exports/gguf/<case>.gguf
// the GGUF export of the same run of each case and of the bundled stories260K (read from
// public/models: run it from the repository root), which scripts/llama-cpp-reference.mjs runs in
// llama.cpp.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHECKPOINT_CASES, REFUSED_CASES, SHORT_WINDOW_CASES } from '../formats/testing/hf-checkpoint-cases';
import { writeCheckpoint } from '../formats/testing/hf-checkpoint';
import { loadModelFromFiles } from '../formats/load';
import { bytesSource } from '../formats/byte-source';
import { exportAvailability, exportModel } from '../export/index';
import { readGptqFolder } from '../export/gptq-read';
import { MemorySink } from '../export/sink';
import { allWeights, quantizeOnCpu } from '../export/testing';
import { forwardRef } from '../reference/model';
import { ggufExportCases } from '../export/testing-gguf';

const TEXT = 'the theater is in the north. THE END!';
const out = process.argv[2];
if (!out || out.startsWith('--')) {
  console.error('usage: node dist-node/write-checkpoints.mjs <outDir> [--exports]');
  process.exit(2);
}
for (const k of [...CHECKPOINT_CASES, ...SHORT_WINDOW_CASES, ...REFUSED_CASES]) {
  const dir = join(out, k.name);
  await mkdir(dir, { recursive: true });
  for (const f of writeCheckpoint(k).files) await writeFile(join(dir, f.name.split('/').pop()!), await f.read(0, f.size));
  console.log(dir);
}

if (process.argv.includes('--exports')) {
  const logits: Record<string, { ids: number[]; logits: number[] }> = {};
  for (const k of [...CHECKPOINT_CASES, ...SHORT_WINDOW_CASES]) {
    const model = await loadModelFromFiles(writeCheckpoint(k).files);
    const q = await quantizeOnCpu(model, { bits: 4, groupSize: 32, symmetric: false });
    // past a sliding window the studio's full attention is not the model's (such runs are refused)
    const ids = [model.weights.config.bosId, ...model.tokenizer.encode(TEXT)].slice(0, Math.min(12, model.weights.config.slidingWindow ?? 12));
    for (const a of exportAvailability(q.quantized, model.tokenizer)) {
      if (!a.available || (a.format !== 'fp-safetensors' && a.format !== 'gptq')) continue;
      const sink = new MemorySink();
      await exportModel(a.format, q, sink);
      const dir = join(out, 'exports', a.format, k.name);
      await mkdir(dir, { recursive: true });
      for (const [name, bytes] of sink.files) await writeFile(join(dir, name.split('/').pop()!), bytes);
      console.log(dir);
      if (a.format !== 'gptq') continue;
      const back = await readGptqFolder([...sink.files].map(([name, bytes]) => bytesSource(`out/${name}`, bytes)));
      logits[k.name] = { ids, logits: Array.from(forwardRef(back.model.weights.config, await allWeights(back.model), ids, 1, ids.length)) };
    }
  }
  await writeFile(join(out, 'exports', 'studio-logits.json'), JSON.stringify(logits));
  const ggufDir = join(out, 'exports', 'gguf');
  await mkdir(ggufDir, { recursive: true });
  for await (const c of ggufExportCases(bytesSource('stories260K.gguf', new Uint8Array(readFileSync('public/models/stories260K.gguf'))))) {
    if (!c.gguf) {
      console.log(`${c.name}: no GGUF (${c.refusal})`);
      continue;
    }
    await writeFile(join(ggufDir, `${c.name}.gguf`), c.gguf);
    console.log(join(ggufDir, `${c.name}.gguf`));
  }
}

// Writes the tiny transformers-layout checkpoints of the tests (formats/testing/hf-checkpoint-cases.ts)
// as folders on disk, for trying the CLI on them:
//   node scripts/build-node.mjs write-checkpoints && node dist-node/write-checkpoints.mjs <outDir>
//   node dist-node/studio.mjs quantize --model <outDir>/Qwen2.5-style --method gptq --bits 4 --groupSize 32 ...
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHECKPOINT_CASES, REFUSED_CASES } from '../formats/testing/hf-checkpoint-cases';
import { writeCheckpoint } from '../formats/testing/hf-checkpoint';

const out = process.argv[2];
if (!out) {
  console.error('usage: node dist-node/write-checkpoints.mjs <outDir>');
  process.exit(2);
}
for (const k of [...CHECKPOINT_CASES, ...REFUSED_CASES]) {
  const dir = join(out, k.name);
  await mkdir(dir, { recursive: true });
  for (const f of writeCheckpoint(k).files) await writeFile(join(dir, f.name.split('/').pop()!), await f.read(0, f.size));
  console.log(dir);
}

// `studio generate`: a randomly initialised Hugging Face folder with a real model's shapes
// (config.json, tokenizer.json, safetensors). Weights are drawn a tensor at a time and written in
// shards of at most 2 GiB with a model.safetensors.index.json, as transformers saves large models,
// so a 1B-parameter shape (5 GB of f32) never sits in one buffer.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomModel } from '../formats/random-model';
import { writeSafetensors } from '../formats/safetensors';

const SHARD_BYTES = 2 ** 31;

/** Tensor names in order, cut into shards of at most maxBytes (a larger tensor gets a shard of its own). */
export function planShards(tensors: [string, number[]][], maxBytes = SHARD_BYTES): string[][] {
  const shards: string[][] = [];
  let size = Infinity;
  for (const [name, shape] of tensors) {
    const bytes = 4 * shape.reduce((a, b) => a * b, 1);
    if (size + bytes > maxBytes) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1].push(name);
    size += bytes;
  }
  return shards;
}

export async function generateRandomFolder(
  shape: string,
  outDir: string,
  seed = 0,
  log: (m: string) => void = () => {},
  maxShardBytes = SHARD_BYTES,
): Promise<void> {
  const m = randomModel(shape, seed);
  await mkdir(outDir, { recursive: true });
  const shapes = [...m.weights.shapes].filter(([name]) => !(name === 'lm_head.weight' && m.weights.config.tiedEmbeddings));
  const shards = planShards(shapes, maxShardBytes);
  const fileOf = (i: number) =>
    shards.length === 1 ? 'model.safetensors' : `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
  const shapeOf = new Map(shapes);
  const weightMap: Record<string, string> = {};
  let totalBytes = 0;
  for (const [i, names] of shards.entries()) {
    const tensors = [];
    for (const name of names) tensors.push({ name, shape: shapeOf.get(name)!, data: await m.weights.get(name) });
    const bytes = writeSafetensors(tensors);
    await writeFile(join(outDir, fileOf(i)), bytes);
    for (const name of names) weightMap[name] = fileOf(i);
    totalBytes += tensors.reduce((a, t) => a + t.data.byteLength, 0);
    log(`wrote ${fileOf(i)} (${names.length} tensors, ${(bytes.byteLength / 2 ** 30).toFixed(2)} GiB)`);
  }
  if (shards.length > 1) {
    await writeFile(join(outDir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: totalBytes }, weight_map: weightMap }, null, 2));
  }
  await writeFile(join(outDir, 'config.json'), JSON.stringify(m.configJson, null, 2));
  await writeFile(join(outDir, 'tokenizer.json'), JSON.stringify(m.tokenizerJson));
  await writeFile(join(outDir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>' }));
  log(`wrote ${outDir}: ${shapes.length} tensors in ${shards.length} file(s)`);
}

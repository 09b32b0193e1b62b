import { describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRandomFolder, planShards } from './generate';
import { pathSources } from './node-files';
import { loadModelFromFiles } from '../formats/load';
import { randomModel } from '../formats/random-model';

describe('studio generate', () => {
  it('cuts tensors into shards of at most the given size, in order; an oversized tensor stands alone', () => {
    const t = (name: string, floats: number): [string, number[]] => [name, [floats]];
    // f32: 40 + 40 + 20 bytes fill a 100-byte shard exactly; d (120 bytes) stands alone; e starts a new one
    expect(planShards([t('a', 10), t('b', 10), t('c', 5), t('d', 30), t('e', 1)], 100)).toEqual([['a', 'b', 'c'], ['d'], ['e']]);
    expect(planShards([t('a', 10), t('b', 16)], 100)).toEqual([['a'], ['b']]);
  });

  it('a sharded folder loads back through the Hugging Face loader with the same weights', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gen-'));
    try {
      await generateRandomFolder('tiny-llama3', dir, 4, () => {}, 20_000);
      const files = (await readdir(dir)).sort();
      expect(files).toContain('model.safetensors.index.json');
      const shards = files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
      expect(shards.length).toBeGreaterThan(2);
      const index = JSON.parse(await readFile(join(dir, 'model.safetensors.index.json'), 'utf8'));
      expect(new Set(Object.values(index.weight_map))).toEqual(new Set(shards));
      const loaded = await loadModelFromFiles(await pathSources(dir));
      const want = randomModel('tiny-llama3', 4);
      expect(loaded.weights.config.ropeScaling).toEqual(want.weights.config.ropeScaling);
      for (const name of ['model.embed_tokens.weight', 'model.layers.1.mlp.down_proj.weight', 'model.norm.weight']) {
        expect(Array.from(await loaded.weights.get(name))).toEqual(Array.from(await want.weights.get(name)));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

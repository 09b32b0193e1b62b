import { describe, expect, test } from 'vitest';
import { bytesSource } from './byte-source';
import { FormatError } from './errors';
import { loadHfFolder } from './hf-folder';
import { bitEqual, hfFolderSources, shardedStoriesFiles } from './testing/fixtures';

describe('sharded HF folders (model.safetensors.index.json)', async () => {
  const files = await shardedStoriesFiles();
  const single = await loadHfFolder(hfFolderSources());

  test('load, with every tensor equal to the single-file folder', async () => {
    const m = await loadHfFolder([...files].map(([n, b]) => bytesSource(`folder/${n}`, b)));
    expect([...m.weights.shapes.keys()].sort()).toEqual([...single.weights.shapes.keys()].sort());
    for (const name of single.weights.shapes.keys()) expect(bitEqual(await m.weights.get(name), await single.weights.get(name)), name).toBe(true);
  });

  test('a missing shard is named', async () => {
    const srcs = [...files].filter(([n]) => n !== 'model-00002-of-00002.safetensors').map(([n, b]) => bytesSource(n, b));
    await expect(loadHfFolder(srcs)).rejects.toThrow(/model-00002-of-00002\.safetensors: is missing .* select every shard/);
  });

  test('an index that maps a tensor to the wrong shard', async () => {
    const index = JSON.parse(new TextDecoder().decode(files.get('model.safetensors.index.json')!));
    index.weight_map['model.norm.weight'] = 'model-00002-of-00002.safetensors';
    const srcs = [...files].map(([n, b]) => bytesSource(n, n.endsWith('index.json') ? new TextEncoder().encode(JSON.stringify(index)) : b));
    const e = await loadHfFolder(srcs).catch((x) => x);
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/model-00002-of-00002\.safetensors: tensor "model\.norm\.weight": does not hold the tensor the index maps to it/);
  });

  test('an index without weight_map', async () => {
    const srcs = [...files].map(([n, b]) => bytesSource(n, n.endsWith('index.json') ? new TextEncoder().encode('{"metadata": {}}') : b));
    await expect(loadHfFolder(srcs)).rejects.toThrow(/has no "weight_map" object/);
  });
});

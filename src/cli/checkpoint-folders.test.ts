// The CLI's `--model <folder>` path on checkpoints written to disk as transformers saves them
// (sharded safetensors with an index, F16/BF16, generation_config.json, chat templates): the folder
// reader and loader give every stored tensor bit for bit, and the kinds the studio does not compute
// are refused with a message naming what the config uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_CASES, REFUSED_CASES } from '../formats/testing/hf-checkpoint-cases';
import { isLoadedTensor, writeCheckpoint, type CheckpointCase, type WrittenCheckpoint } from '../formats/testing/hf-checkpoint';
import { loadModel } from './inputs';

let root: string;

async function toDisk(k: CheckpointCase): Promise<{ dir: string; written: WrittenCheckpoint }> {
  const w = writeCheckpoint(k);
  const dir = join(root, k.name);
  await mkdir(dir, { recursive: true });
  for (const f of w.files) await writeFile(join(dir, f.name.split('/').pop()!), await f.read(0, f.size));
  return { dir, written: w };
}

describe('checkpoint folders on disk through the CLI loader', () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ckpt-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it.each(CHECKPOINT_CASES)('$name loads with every tensor as stored', async (k) => {
    const { dir, written } = await toDisk(k);
    const m = await loadModel(dir);
    expect(m.source).toBe(`local:${dir}`);
    // named by its folder (results, export file names), as a folder picked in the studio is
    expect(m.weights.config.name).toBe(k.name);
    expect(m.weights.config.sourceArchitecture).toBe((k.config.architectures as string[])[0]);
    // (Granite's: times the multipliers the loader folds in)
    for (const name of m.weights.shapes.keys()) expect(isLoadedTensor(written, name, await m.weights.get(name)), name).toBe(true);
  });

  it.each(REFUSED_CASES)('$name is refused, naming what it uses', async (k) => {
    const { dir } = await toDisk(k);
    await expect(loadModel(dir)).rejects.toThrow(k.refusal);
  });
});

import { serialize } from 'node:v8';
import { describe, expect, test } from 'vitest';
import type { QuantizedLinear } from '../core/quant-spec';
import { mulberry32 } from '../reference/rng';
import {
  CHECKPOINT_SCHEMA_VERSION,
  deserializeLinear,
  estimateCheckpointBytes,
  makeCheckpoint,
  restoreCheckpoint,
  resumePoint,
  serializeLinear,
  summarizeCheckpoint,
  type RunCheckpoint,
} from './checkpoint';
import { CheckpointStoreWithMemoryFallback, MemoryCheckpointStore } from './checkpoint-store';
import { DEFAULT_CONFIG } from '../methods/registry';
import { isQuotaError, requestPersistentStorage, StorageQuotaError, storageEstimate } from './storage';

function randomLinear(name: string, rows: number, cols: number, bits: number, groupSize: number, seed: number): QuantizedLinear {
  const r = mulberry32(seed);
  const groups = groupSize > 0 ? Math.ceil(cols / Math.min(groupSize, cols)) : 1;
  return {
    name,
    rows,
    cols,
    spec: { bits, groupSize, symmetric: false },
    codes: Uint8Array.from({ length: rows * cols }, () => Math.floor(r() * 2 ** bits)),
    scales: Float32Array.from({ length: rows * groups }, () => r()),
    zeros: Float32Array.from({ length: rows * groups }, () => Math.floor(r() * 2 ** bits)),
  };
}

function checkpoint(blocks: number, createdAt: Date, seed = 1): RunCheckpoint {
  return makeCheckpoint({
    config: { ...DEFAULT_CONFIG, method: 'teq', bits: 3 },
    completedBlocks: blocks,
    linears: [randomLinear(`model.layers.${blocks}.mlp.up_proj`, 5, 37, 3, 32, seed)],
    overrides: [['model.norm.weight', Float32Array.from({ length: 37 }, (_, i) => i)]],
    rngState: [seed],
    now: createdAt,
  });
}

describe('checkpoint records', () => {
  test('a QuantizedLinear survives packing for 2, 3, 4 and 8 bits, ragged groups and a bias', () => {
    for (const bits of [2, 3, 4, 8]) {
      for (const [rows, cols, group] of [
        [5, 37, 16],
        [3, 64, 0],
        [1, 1, 32],
      ] as const) {
        const q = { ...randomLinear('l', rows, cols, bits, group, bits * 100 + cols), bias: Float32Array.from({ length: rows }, (_, i) => -i) };
        const s = serializeLinear(q);
        // Hand formula: rows*cols fields of `bits` bits in 32-bit words.
        expect(s.packedCodes.length).toBe(Math.ceil((rows * cols * bits) / 32));
        const back = deserializeLinear(structuredClone(s));
        expect(Array.from(back.codes)).toEqual(Array.from(q.codes));
        expect(Array.from(back.scales)).toEqual(Array.from(q.scales));
        expect(Array.from(back.zeros)).toEqual(Array.from(q.zeros));
        expect(Array.from(back.bias!)).toEqual(Array.from(q.bias));
        expect(back.spec).toEqual(q.spec);
      }
    }
  });

  test("a first phase's overrides and a round-boundary state are copied, survive cloning, and are counted", () => {
    const base = Float32Array.from({ length: 40 }, (_, i) => i / 3);
    const v = Float32Array.from({ length: 12 }, (_, i) => -i);
    const plain = checkpoint(2, new Date(0));
    const withPhase = makeCheckpoint({
      config: plain.config,
      completedBlocks: 2,
      linears: plain.linears.map(deserializeLinear),
      overrides: Object.entries(plain.overrides),
      baseOverrides: [['model.layers.3.mlp.up_proj.weight', base]],
      inProgress: { block: 2, step: 6, round: 3, lr: 1e-4, tensors: { 'v.q': v } },
      rngState: [77],
      now: new Date(0),
    });
    base[0] = 99;
    v[0] = 99;
    const back = structuredClone(withPhase);
    expect(back.inProgress).toMatchObject({ block: 2, step: 6, round: 3, lr: 1e-4 });
    expect(back.inProgress!.tensors['v.q'][0]).toBe(-0);
    const restored = restoreCheckpoint(back);
    expect(restored.baseOverrides!.get('model.layers.3.mlp.up_proj.weight')![0]).toBe(0);
    expect(restored.baseOverrides!.get('model.layers.3.mlp.up_proj.weight')![1]).toBe(Math.fround(1 / 3));
    expect(restoreCheckpoint(plain).baseOverrides).toBeUndefined();
    // Bytes: the plain record, plus the base override's name and 160 bytes, plus the in-progress
    // block's fixed 24, name and 48 bytes; the scalars' JSON is the same but for rngState [77] vs [1].
    const expected = estimateCheckpointBytes(plain) + 'model.layers.3.mlp.up_proj.weight'.length + 160 + 24 + 'v.q'.length + 48 + 1;
    expect(estimateCheckpointBytes(withPhase)).toBe(expected);
  });

  test('the resume point is told in words, in the log and in the summary the list shows', () => {
    const cp = checkpoint(2, new Date(0));
    expect(resumePoint(cp)).toBe('after block 1');
    expect(summarizeCheckpoint('r', cp).resumePoint).toBe('after block 1');
    expect(resumePoint({ ...cp, completedBlocks: 0 })).toBe('from the start');
    expect(resumePoint({ ...cp, completedBlocks: 0, baseOverrides: {} })).toBe('after the TEQ phase');
    expect(resumePoint({ ...cp, inProgress: { block: 2, step: 6, round: 3, tensors: {} } })).toBe('in block 2 after round 3');
    expect(resumePoint({ ...cp, completedBlocks: 0, inProgress: { block: 0, step: 40, tensors: {} } })).toBe('at step 40 of the TEQ training');
  });

  test('a damaged record is refused with the part that does not fit', () => {
    const s = serializeLinear(randomLinear('model.layers.0.self_attn.q_proj', 5, 37, 3, 32, 7));
    expect(() => deserializeLinear({ ...s, packedCodes: s.packedCodes.subarray(1) })).toThrow(/q_proj: packed codes do not fit \[5, 37\] at 3 bits/);
    expect(() => deserializeLinear({ ...s, scales: s.scales.subarray(1) })).toThrow(/scales do not fit/);
    expect(() => deserializeLinear({ ...s, zeros: new Float32Array(0) })).toThrow(/zeros do not fit/);
    expect(() => deserializeLinear({ ...s, bias: new Float32Array(4) })).toThrow(/bias do not fit/);
  });

  test('makeCheckpoint copies the run state; restoreCheckpoint gives it back; other schemas are refused', () => {
    const q = randomLinear('model.layers.0.mlp.down_proj', 4, 40, 4, 16, 3);
    const codes = q.codes.slice();
    const norm = new Float32Array([1, 2, 3]);
    const m = new Float32Array([0.5]);
    const cp = makeCheckpoint({
      config: DEFAULT_CONFIG,
      completedBlocks: 1,
      linears: [q],
      overrides: [['n', norm]],
      inProgress: { block: 1, step: 7, lr: 1e-3, tensors: { 'adam.m': m } },
      rngState: [42],
    });
    q.codes.fill(0);
    norm.fill(9);
    m.fill(9);
    const back = restoreCheckpoint(structuredClone(cp));
    expect(Array.from(back.linears.get('model.layers.0.mlp.down_proj')!.codes)).toEqual(Array.from(codes));
    expect(Array.from(back.overrides.get('n')!)).toEqual([1, 2, 3]);
    expect(Array.from(cp.inProgress!.tensors['adam.m'])).toEqual([0.5]);
    expect(cp).toMatchObject({ schema: CHECKPOINT_SCHEMA_VERSION, completedBlocks: 1, rngState: [42], inProgress: { block: 1, step: 7, lr: 1e-3 } });
    expect(() => restoreCheckpoint({ ...cp, schema: 99 })).toThrow(/schema 99/);
  });

  test('size estimate: tensor bytes by hand, and close to the structured-clone size of a large checkpoint', () => {
    const base = makeCheckpoint({ config: DEFAULT_CONFIG, completedBlocks: 0, linears: [], overrides: [], now: new Date(0) });
    const one = makeCheckpoint({
      config: DEFAULT_CONFIG,
      completedBlocks: 0,
      linears: [randomLinear('model.layers.0.mlp.up_proj', 5, 37, 3, 32, 1)],
      overrides: [['model.norm.weight', new Float32Array(37)]],
      now: new Date(0),
    });
    // Linear: name 26 B + spec JSON {"bits":3,"groupSize":32,"symmetric":false} 43 B + 8;
    // codes 5*37*3 = 555 bits -> 18 words = 72 B; scales and zeros 5 rows x 2 groups x 4 B = 40 B each.
    // Override: name 17 B + 37 x 4 B.
    expect(estimateCheckpointBytes(one) - estimateCheckpointBytes(base)).toBe(26 + 43 + 8 + 72 + 40 + 40 + 17 + 148);

    const big = makeCheckpoint({
      config: DEFAULT_CONFIG,
      completedBlocks: 2,
      linears: Array.from({ length: 14 }, (_, i) => randomLinear(`model.layers.${i >> 1}.mlp.up_proj.${i}`, 64, 172, 4, 32, i)),
      overrides: [['model.layers.0.mlp.down_proj.weight', new Float32Array(64 * 172)]],
      now: new Date(0),
    });
    const cloned = serialize(big).byteLength;
    const est = estimateCheckpointBytes(big);
    expect(est / cloned).toBeGreaterThan(0.9);
    expect(est / cloned).toBeLessThan(1.2);
  });
});

describe('memory checkpoint store', () => {
  test('save, load (a copy), list newest first, replace, delete', async () => {
    const store = new MemoryCheckpointStore();
    const a = checkpoint(1, new Date('2025-01-01T00:00:00Z'), 1);
    const b = checkpoint(2, new Date('2025-01-02T00:00:00Z'), 2);
    await store.save('run-a', a);
    await store.save('run-b', b);
    a.overrides['model.norm.weight'][0] = 99; // the stored copy does not change
    const loaded = await store.load('run-a');
    expect(loaded!.overrides['model.norm.weight'][0]).toBe(0);
    expect(Array.from(restoreCheckpoint(loaded!).linears.get('model.layers.1.mlp.up_proj')!.codes)).toEqual(Array.from(deserializeLinear(a.linears[0]).codes));
    expect((await store.list()).map((s) => [s.runId, s.completedBlocks])).toEqual([
      ['run-b', 2],
      ['run-a', 1],
    ]);
    await store.save('run-a', checkpoint(3, new Date('2025-01-03T00:00:00Z')));
    expect((await store.list()).map((s) => [s.runId, s.completedBlocks])).toEqual([
      ['run-a', 3],
      ['run-b', 2],
    ]);
    await store.delete('run-b');
    expect((await store.list()).map((s) => s.runId)).toEqual(['run-a']);
    expect(await store.load('run-b')).toBeUndefined();
  });

  test('a full quota is a StorageQuotaError with the size needed, saying the run continues in memory', async () => {
    const cp = checkpoint(1, new Date(0));
    const need = estimateCheckpointBytes(cp);
    const store = new MemoryCheckpointStore({ quotaBytes: need - 1 });
    const e = await store.save('r', cp).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(StorageQuotaError);
    expect((e as StorageQuotaError).bytesNeeded).toBe(need);
    expect((e as StorageQuotaError).kind).toBe('storage-quota');
    expect((e as Error).message).toMatch(
      new RegExp(`Saving the checkpoint of run r \\(1 blocks done\\) needs about ${need} B, but this site's browser storage is full`),
    );
    expect((e as Error).message).toMatch(/The run continues in memory/);
    expect(await store.list()).toEqual([]);
    await new MemoryCheckpointStore({ quotaBytes: need }).save('r', cp); // exactly enough
  });
});

describe('full storage falls back to memory', () => {
  test('the run goes on: the checkpoint is kept in memory, reported once per failed save, and moves back when space frees', async () => {
    const first = checkpoint(1, new Date('2025-01-01T00:00:00Z'));
    const primary = new MemoryCheckpointStore({ quotaBytes: estimateCheckpointBytes(first) + 100 });
    const reports: StorageQuotaError[] = [];
    const store = new CheckpointStoreWithMemoryFallback(primary, (e) => reports.push(e));
    await store.save('old', first);
    const second = checkpoint(2, new Date('2025-01-02T00:00:00Z'));
    await store.save('new', second); // over the quota: no throw
    expect(reports).toHaveLength(1);
    expect(reports[0].bytesNeeded).toBe(estimateCheckpointBytes(second));
    expect(store.isInMemory('new')).toBe(true);
    expect((await primary.list()).map((s) => s.runId)).toEqual(['old']);
    expect((await store.list()).map((s) => s.runId)).toEqual(['new', 'old']);
    expect((await store.load('new'))!.completedBlocks).toBe(2);

    await store.delete('old');
    await store.save('new', checkpoint(3, new Date('2025-01-03T00:00:00Z')));
    expect(reports).toHaveLength(1);
    expect(store.isInMemory('new')).toBe(false);
    expect((await primary.load('new'))!.completedBlocks).toBe(3);
    expect((await store.list()).map((s) => [s.runId, s.completedBlocks])).toEqual([['new', 3]]);
  });

  test('other storage errors are not swallowed', async () => {
    const broken: MemoryCheckpointStore = Object.assign(new MemoryCheckpointStore(), { save: async () => Promise.reject(new Error('disk on fire')) });
    const store = new CheckpointStoreWithMemoryFallback(broken, () => {});
    await expect(store.save('r', checkpoint(1, new Date(0)))).rejects.toThrow('disk on fire');
  });
});

describe('storage helpers', () => {
  test('quota errors are recognised as Chromium, Safari and Firefox report them, and nothing else', () => {
    expect(isQuotaError(new DOMException('planted', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError({ name: 'NS_ERROR_DOM_QUOTA_REACHED' })).toBe(true);
    expect(isQuotaError({ name: 'Error', code: 22 })).toBe(true);
    expect(isQuotaError(new DOMException('x', 'DataCloneError'))).toBe(false);
    expect(isQuotaError(new Error('QuotaExceededError'))).toBe(false);
    expect(isQuotaError(undefined)).toBe(false);
  });

  test('navigator.storage.persist() request and estimate, with every answer a browser gives', async () => {
    const fake = (persisted: boolean, persist: boolean | Error) => ({
      persisted: async () => persisted,
      persist: async () => {
        if (persist instanceof Error) throw persist;
        return persist;
      },
      estimate: async () => ({ usage: 10, quota: 100 }),
    });
    expect(await requestPersistentStorage(fake(true, false))).toBe('already');
    expect(await requestPersistentStorage(fake(false, true))).toBe('granted');
    expect(await requestPersistentStorage(fake(false, false))).toBe('denied');
    expect(await requestPersistentStorage(fake(false, new Error('no')))).toBe('unavailable');
    expect(await requestPersistentStorage(undefined)).toBe('unavailable');
    expect(await storageEstimate(fake(false, false))).toEqual({ usage: 10, quota: 100 });
    expect(await storageEstimate(undefined)).toBeUndefined();
  });
});

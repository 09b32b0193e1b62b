// The IndexedDB checkpoint store in real Chromium (no GPU work): round trip across connections,
// replace and delete, a planted QuotaExceededError that must neither throw anything but a
// StorageQuotaError nor leave a half-written record, and the memory fallback over IndexedDB.
import type { Gpu } from '../gpu/gpu';
import type { QuantizedLinear } from '../core/quant-spec';
import { mulberry32 } from '../reference/rng';
import { estimateCheckpointBytes, makeCheckpoint, restoreCheckpoint, type RunCheckpoint } from './checkpoint';
import { CheckpointStoreWithMemoryFallback, IndexedDbCheckpointStore } from './checkpoint-store';
import { DEFAULT_CONFIG } from '../methods/registry';
import { StorageQuotaError } from './storage';

function linear(name: string, rows: number, cols: number, bits: number, seed: number): QuantizedLinear {
  const r = mulberry32(seed);
  const groups = Math.ceil(cols / 32);
  return {
    name,
    rows,
    cols,
    spec: { bits, groupSize: 32, symmetric: false },
    codes: Uint8Array.from({ length: rows * cols }, () => Math.floor(r() * 2 ** bits)),
    scales: Float32Array.from({ length: rows * groups }, () => r()),
    zeros: Float32Array.from({ length: rows * groups }, () => Math.floor(r() * 2 ** bits)),
  };
}

function checkpoint(
  blocks: number,
  day: number,
  seed: number,
  rows = 64,
  cols = 172,
): { cp: RunCheckpoint; linears: QuantizedLinear[]; override: Float32Array } {
  const linears = [
    linear(`model.layers.${blocks - 1}.mlp.up_proj`, rows, cols, 3, seed),
    linear(`model.layers.${blocks - 1}.mlp.down_proj`, cols, rows, 4, seed + 1),
  ];
  const override = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i + seed));
  const cp = makeCheckpoint({
    config: { ...DEFAULT_CONFIG, method: 'tesseraq', seed },
    completedBlocks: blocks,
    linears,
    overrides: [['model.layers.0.mlp.up_proj.weight', override]],
    inProgress: {
      block: blocks,
      step: 3,
      lr: 5e-4,
      tensors: {
        'adam.m.logits': Float32Array.from({ length: 100 }, (_, i) => i / 7),
        // TesseraQ's hard/soft state, packed two bits per weight into u32 words
        'state.q_proj': Uint32Array.from({ length: 9 }, (_, i) => (0x9e3779b1 * (i + seed)) >>> 0),
      },
    },
    rngState: [seed, 12345],
    now: new Date(Date.UTC(2025, 0, day)),
  });
  return { cp, linears, override };
}

function assert(cond: boolean, msg: string): void {
  if (!cond) throw new Error(msg);
}

function sameArray(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert(a.length === b.length, `${what}: length ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) throw new Error(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

async function freshDb(name: string): Promise<string> {
  await new Promise<void>((ok, fail) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => ok();
    req.onerror = () => fail(req.error ?? new Error(`could not delete the test database ${name}`));
  });
  return name;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

/** IDBObjectStore.put throws a QuotaExceededError for the named store (as Chromium does when the origin is full). */
async function withPlantedQuota<T>(storeName: string, fn: () => Promise<T>): Promise<T> {
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
    if (this.name === storeName) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    return put.apply(this, args);
  };
  try {
    return await fn();
  } finally {
    IDBObjectStore.prototype.put = put;
  }
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'IndexedDB: a checkpoint saved by one connection is listed and restored bit-exactly by another'() {
    const dbName = await freshDb('checkpoint-test-roundtrip');
    const a = checkpoint(2, 1, 10);
    const b = checkpoint(4, 2, 20);
    const writer = new IndexedDbCheckpointStore({ dbName });
    await writer.save('run-a', a.cp);
    await writer.save('run-b', b.cp);
    writer.close();

    const reader = new IndexedDbCheckpointStore({ dbName }); // as after a reload
    const list = await reader.list();
    sameArray(
      list.map((s) => s.completedBlocks),
      [4, 2],
      'listed blocks (newest first)',
    );
    assert(list[0].runId === 'run-b' && list[0].inProgressBlock === 4, `summary ${JSON.stringify(list[0])}`);
    assert(list[0].bytes === estimateCheckpointBytes(b.cp), 'summary size');
    const got = await reader.load('run-a');
    assert(got !== undefined, 'run-a missing');
    const restored = restoreCheckpoint(got!);
    for (const q of a.linears) {
      const r = restored.linears.get(q.name)!;
      sameArray(r.codes, q.codes, `${q.name} codes`);
      sameArray(r.scales, q.scales, `${q.name} scales`);
      sameArray(r.zeros, q.zeros, `${q.name} zeros`);
    }
    sameArray(restored.overrides.get('model.layers.0.mlp.up_proj.weight')!, a.override, 'override');
    sameArray(got!.inProgress!.tensors['adam.m.logits'], a.cp.inProgress!.tensors['adam.m.logits'], 'optimizer state');
    const masks = got!.inProgress!.tensors['state.q_proj'];
    assert(masks instanceof Uint32Array, `packed masks come back as ${Object.prototype.toString.call(masks)}, not Uint32Array`);
    sameArray(masks, a.cp.inProgress!.tensors['state.q_proj'], 'packed masks');
    assert(JSON.stringify(got!.config) === JSON.stringify(a.cp.config) && JSON.stringify(got!.rngState) === '[10,12345]', 'config and RNG state');
    assert((await reader.load('nope')) === undefined, 'unknown run should load as undefined');
    reader.close();
  },

  async "IndexedDB: save replaces the run's checkpoint; delete removes record and summary"() {
    const dbName = await freshDb('checkpoint-test-replace');
    const store = new IndexedDbCheckpointStore({ dbName });
    await store.save('r', checkpoint(1, 1, 1).cp);
    const later = checkpoint(3, 2, 2);
    await store.save('r', later.cp);
    const list = await store.list();
    assert(list.length === 1 && list[0].completedBlocks === 3, `after replace: ${JSON.stringify(list)}`);
    sameArray(restoreCheckpoint((await store.load('r'))!).linears.get(later.linears[0].name)!.codes, later.linears[0].codes, 'replaced codes');
    await store.delete('r');
    assert((await store.list()).length === 0 && (await store.load('r')) === undefined, 'delete left something');
    store.close();
  },

  async 'IndexedDB: a planted QuotaExceededError becomes StorageQuotaError with the size, and nothing is half written'() {
    const dbName = await freshDb('checkpoint-test-quota');
    const store = new IndexedDbCheckpointStore({ dbName });
    const before = checkpoint(1, 1, 1);
    await store.save('r', before.cp);
    const next = checkpoint(2, 2, 2);
    // The data put succeeds, the summary put fails: the transaction must be rolled back whole.
    for (const storeName of ['summaries', 'checkpoints']) {
      const e = await withPlantedQuota(storeName, () => rejection(store.save('r', next.cp)));
      assert(e instanceof StorageQuotaError, `expected StorageQuotaError, got ${String(e)}`);
      const q = e as StorageQuotaError;
      assert(q.bytesNeeded === estimateCheckpointBytes(next.cp), `bytesNeeded ${q.bytesNeeded}`);
      assert(/continues in memory/.test(q.message) && /run r \(2 blocks done\)/.test(q.message), q.message);
      const list = await store.list();
      assert(list.length === 1 && list[0].completedBlocks === 1, `summary after failed save (${storeName}): ${JSON.stringify(list)}`);
      const kept = await store.load('r');
      assert(kept?.completedBlocks === 1, `record after failed save (${storeName}): ${kept?.completedBlocks}`);
      sameArray(restoreCheckpoint(kept!).linears.get(before.linears[0].name)!.codes, before.linears[0].codes, 'earlier checkpoint intact');
    }
    // Without the planted error the same save goes through.
    await store.save('r', next.cp);
    assert((await store.list())[0].completedBlocks === 2, 'save after quota freed');
    store.close();
  },

  async 'IndexedDB full: the fallback keeps the run going in memory and says so'() {
    const dbName = await freshDb('checkpoint-test-fallback');
    const reports: string[] = [];
    const idb = new IndexedDbCheckpointStore({ dbName });
    const store = new CheckpointStoreWithMemoryFallback(idb, (e) => reports.push(e.message));
    await store.save('r', checkpoint(1, 1, 1).cp);
    await withPlantedQuota('checkpoints', () => store.save('r', checkpoint(2, 2, 2).cp));
    assert(reports.length === 1 && /continues in memory/.test(reports[0]), `reports ${JSON.stringify(reports)}`);
    assert(store.isInMemory('r') && (await store.load('r'))!.completedBlocks === 2, 'in-memory checkpoint');
    const direct = new IndexedDbCheckpointStore({ dbName });
    assert((await direct.load('r'))!.completedBlocks === 1, 'IndexedDB keeps the last saved one');
    await store.save('r', checkpoint(3, 3, 3).cp);
    assert(!store.isInMemory('r') && (await direct.load('r'))!.completedBlocks === 3, 'back in IndexedDB');
    direct.close();
    idb.close();
  },
};

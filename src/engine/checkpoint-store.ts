// Where run checkpoints live: IndexedDB in the browser (survives reloads, crashes and new tabs),
// memory in Node and tests, and a wrapper that keeps a checkpoint in memory when the storage
// quota is full (the run goes on; the UI says so). Records are keyed by run id; list() reads
// small summaries from their own object store, so offering "resume" never loads tensors.
import { summarizeCheckpoint, type CheckpointSummary, type RunCheckpoint } from './checkpoint';
import { isQuotaError, StorageQuotaError, storageEstimate } from './storage';

export type { CheckpointSummary, RunCheckpoint } from './checkpoint';

export interface CheckpointStore {
  /** Replaces the run's previous checkpoint. Throws StorageQuotaError when storage is full. */
  save(runId: string, checkpoint: RunCheckpoint): Promise<void>;
  load(runId: string): Promise<RunCheckpoint | undefined>;
  /** Newest first. */
  list(): Promise<CheckpointSummary[]>;
  delete(runId: string): Promise<void>;
}

const newestFirst = (a: CheckpointSummary, b: CheckpointSummary) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0);
const what = (runId: string, cp: RunCheckpoint) => `the checkpoint of run ${runId} (${cp.completedBlocks} blocks done)`;

/** In memory, with structured-clone copies as IndexedDB makes; `quotaBytes` plays a full disk. */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly records = new Map<string, { checkpoint: RunCheckpoint; summary: CheckpointSummary }>();
  constructor(private readonly opts: { quotaBytes?: number } = {}) {}

  async save(runId: string, checkpoint: RunCheckpoint): Promise<void> {
    const summary = summarizeCheckpoint(runId, checkpoint);
    if (this.opts.quotaBytes !== undefined) {
      let usage = 0;
      for (const [id, r] of this.records) if (id !== runId) usage += r.summary.bytes;
      if (usage + summary.bytes > this.opts.quotaBytes)
        throw new StorageQuotaError(summary.bytes, what(runId, checkpoint), { usage, quota: this.opts.quotaBytes });
    }
    this.records.set(runId, { checkpoint: structuredClone(checkpoint), summary });
  }

  async load(runId: string): Promise<RunCheckpoint | undefined> {
    const r = this.records.get(runId);
    return r && structuredClone(r.checkpoint);
  }

  async list(): Promise<CheckpointSummary[]> {
    return [...this.records.values()].map((r) => ({ ...r.summary })).sort(newestFirst);
  }

  async delete(runId: string): Promise<void> {
    this.records.delete(runId);
  }
}

export const CHECKPOINT_DB_NAME = 'webgpu-quant-studio-checkpoints';
const DB_VERSION = 1;
const DATA = 'checkpoints';
const SUMMARIES = 'summaries';

function promised<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

/** IndexedDB: one database of its own (the run history's keeps its version), two object stores. */
export class IndexedDbCheckpointStore implements CheckpointStore {
  private db: Promise<IDBDatabase> | null = null;
  constructor(private readonly opts: { factory?: IDBFactory; dbName?: string } = {}) {}

  static available(): boolean {
    return typeof indexedDB !== 'undefined';
  }

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const factory = this.opts.factory ?? (typeof indexedDB !== 'undefined' ? indexedDB : undefined);
      if (!factory) {
        reject(new Error('IndexedDB is not available, so checkpoints are kept in memory only.'));
        return;
      }
      const req = factory.open(this.opts.dbName ?? CHECKPOINT_DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains(DATA)) db.createObjectStore(DATA);
        if (!db.objectStoreNames.contains(SUMMARIES)) db.createObjectStore(SUMMARIES);
      };
      req.onsuccess = () => {
        // Another tab upgrading the schema: let it, this tab reopens on its next call.
        req.result.onversionchange = () => {
          req.result.close();
          this.db = null;
        };
        resolve(req.result);
      };
      req.onerror = () => reject(req.error ?? new Error('could not open the checkpoint database'));
      req.onblocked = () => reject(new Error('the checkpoint database is blocked by another tab; close it and reload'));
    });
    this.db.catch(() => {
      this.db = null;
    });
    return this.db;
  }

  /**
   * One transaction over both stores; resolves when it has committed (durability "strict": on
   * disk, so a crash right after still finds it). An error before commit aborts the whole
   * transaction, so a record is never half written.
   */
  private async write(body: (data: IDBObjectStore, summaries: IDBObjectStore) => void): Promise<void> {
    const db = await this.open();
    await new Promise<void>((resolve, reject) => {
      let tx: IDBTransaction | undefined;
      try {
        tx = db.transaction([DATA, SUMMARIES], 'readwrite', { durability: 'strict' });
        const t = tx;
        t.oncomplete = () => resolve();
        t.onabort = () => reject(t.error ?? new Error('the checkpoint transaction was aborted'));
        body(t.objectStore(DATA), t.objectStore(SUMMARIES));
      } catch (e) {
        try {
          tx?.abort();
        } catch {
          // already finished
        }
        reject(e);
      }
    });
  }

  async save(runId: string, checkpoint: RunCheckpoint): Promise<void> {
    const summary = summarizeCheckpoint(runId, checkpoint);
    try {
      await this.write((data, summaries) => {
        data.put(checkpoint, runId);
        summaries.put(summary, runId);
      });
    } catch (e) {
      if (isQuotaError(e)) throw new StorageQuotaError(summary.bytes, what(runId, checkpoint), await storageEstimate());
      throw e;
    }
  }

  async load(runId: string): Promise<RunCheckpoint | undefined> {
    const db = await this.open();
    return promised(db.transaction(DATA, 'readonly').objectStore(DATA).get(runId) as IDBRequest<RunCheckpoint | undefined>);
  }

  async list(): Promise<CheckpointSummary[]> {
    const db = await this.open();
    const all = await promised(db.transaction(SUMMARIES, 'readonly').objectStore(SUMMARIES).getAll() as IDBRequest<CheckpointSummary[]>);
    return all.sort(newestFirst);
  }

  async delete(runId: string): Promise<void> {
    await this.write((data, summaries) => {
      data.delete(runId);
      summaries.delete(runId);
    });
  }

  /** Closes the connection (tests; a reload does the same). */
  close(): void {
    void this.db?.then((db) => db.close());
    this.db = null;
  }
}

/**
 * Saves to `primary`; when it is full, keeps the checkpoint in memory instead, tells `onQuota`
 * (with the StorageQuotaError and its message for the user) and does not throw: the run goes on.
 * A later successful save drops the in-memory copy. Loads and lists prefer the in-memory copy,
 * which is the newer one.
 */
export class CheckpointStoreWithMemoryFallback implements CheckpointStore {
  private readonly memory = new MemoryCheckpointStore();
  private readonly inMemory = new Set<string>();
  constructor(
    private readonly primary: CheckpointStore,
    private readonly onQuota: (e: StorageQuotaError) => void,
  ) {}

  /** Whether the run's latest checkpoint lives only in memory. */
  isInMemory(runId: string): boolean {
    return this.inMemory.has(runId);
  }

  async save(runId: string, checkpoint: RunCheckpoint): Promise<void> {
    try {
      await this.primary.save(runId, checkpoint);
    } catch (e) {
      if (!(e instanceof StorageQuotaError)) throw e;
      await this.memory.save(runId, checkpoint);
      this.inMemory.add(runId);
      this.onQuota(e);
      return;
    }
    if (this.inMemory.delete(runId)) await this.memory.delete(runId);
  }

  async load(runId: string): Promise<RunCheckpoint | undefined> {
    return (this.inMemory.has(runId) ? await this.memory.load(runId) : undefined) ?? this.primary.load(runId);
  }

  async list(): Promise<CheckpointSummary[]> {
    const mem = await this.memory.list();
    const ids = new Set(mem.map((s) => s.runId));
    return [...mem, ...(await this.primary.list()).filter((s) => !ids.has(s.runId))].sort(newestFirst);
  }

  async delete(runId: string): Promise<void> {
    this.inMemory.delete(runId);
    await this.memory.delete(runId);
    await this.primary.delete(runId);
  }
}

/** IndexedDB where there is one, else memory; either way full storage falls back to memory. */
export function defaultCheckpointStore(onQuota: (e: StorageQuotaError) => void): CheckpointStoreWithMemoryFallback {
  return new CheckpointStoreWithMemoryFallback(IndexedDbCheckpointStore.available() ? new IndexedDbCheckpointStore() : new MemoryCheckpointStore(), onQuota);
}

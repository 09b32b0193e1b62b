// Finished runs, kept in the browser's IndexedDB so they survive reloads: listed in History,
// reopened into Inspect and Compare, downloaded as JSON. Runs are small (numbers and short
// vectors, no tensors), so one object store keyed by run id is enough.
import { RESULT_SCHEMA_VERSION, type RunResult } from '../core/run-types';

const DB_NAME = 'webgpu-quant-studio';
const DB_VERSION = 1;
const STORE = 'runs';

let dbPromise: Promise<IDBDatabase> | null = null;

function openDb(): Promise<IDBDatabase> {
  dbPromise ??= new Promise<IDBDatabase>((resolve, reject) => {
    if (typeof indexedDB === 'undefined') {
      reject(new Error('IndexedDB is not available, so runs are not kept across reloads.'));
      return;
    }
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'id' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('could not open the run history'));
    req.onblocked = () => reject(new Error('the run history is blocked by another tab; close it and reload'));
  });
  dbPromise.catch(() => {
    dbPromise = null;
  });
  return dbPromise;
}

function request<T>(mode: IDBTransactionMode, body: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return openDb().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const req = body(tx.objectStore(STORE));
        // Resolve on commit, so a reload right after saving still finds the run.
        tx.oncomplete = () => resolve(req.result);
        tx.onerror = () => reject(tx.error ?? req.error ?? new Error('run history transaction failed'));
        tx.onabort = () => reject(tx.error ?? new Error('run history transaction aborted'));
      }),
  );
}

export async function saveRun(run: RunResult): Promise<void> {
  await request('readwrite', (s) => s.put(run));
}

/** Newest first. */
export async function listRuns(): Promise<RunResult[]> {
  const runs = await request('readonly', (s) => s.getAll() as IDBRequest<RunResult[]>);
  return runs.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

export async function deleteRun(id: string): Promise<void> {
  await request('readwrite', (s) => s.delete(id));
}

/** The file a person downloads: the RunResult as is, pretty-printed. */
export function runToJson(run: RunResult): string {
  return `${JSON.stringify(run, null, 2)}\n`;
}

export function runFileName(run: RunResult): string {
  const bits = run.method === 'fp' ? 'fp' : `w${run.bits}g${run.groupSize}`;
  const model = run.model.replace(/^[a-z]+:/, '').replace(/[^A-Za-z0-9._-]+/g, '_');
  return `${model}-${run.method.replace('+', '-')}-${bits}-${run.id}.json`;
}

/** A run file read back (History import); rejects what is not a run of a schema we understand. */
export function parseRunJson(text: string): RunResult {
  const v = JSON.parse(text) as Partial<RunResult>;
  if (typeof v !== 'object' || v === null || typeof v.id !== 'string' || typeof v.method !== 'string') {
    throw new Error('This file is not a run result (no id or method).');
  }
  if (v.schema !== RESULT_SCHEMA_VERSION) {
    throw new Error(`This run file has schema ${String(v.schema)}; this studio reads schema ${RESULT_SCHEMA_VERSION}.`);
  }
  return v as RunResult;
}

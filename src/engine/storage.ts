// Browser storage limits: the typed error for a full quota (with the size that was needed), how a
// quota error is recognised across browsers, the current estimate, and the request for persistent
// storage made when a long run starts (so the browser does not evict its checkpoints).
import { formatBytes } from '../gpu/errors';

/** The site's storage is full: a checkpoint was not saved, the run goes on with its state in memory. */
export class StorageQuotaError extends Error {
  /** Survives structured cloning to the UI, like EngineError.kind. */
  readonly kind = 'storage-quota';
  constructor(
    readonly bytesNeeded: number,
    readonly what: string,
    readonly estimate?: { usage: number; quota: number },
  ) {
    super(
      `Saving ${what} needs about ${formatBytes(bytesNeeded)}, but this site's browser storage is full` +
        (estimate ? ` (${formatBytes(estimate.usage)} of ${formatBytes(estimate.quota)} used)` : '') +
        '. The run continues in memory: a reload or crash would lose the progress since the last saved checkpoint. ' +
        'Free space by deleting old runs or checkpoints in History, or allow the site to store data persistently.',
    );
    this.name = 'StorageQuotaError';
  }
}

/**
 * A quota error however the browser reports it: DOMException "QuotaExceededError" (Chromium,
 * Safari; a transaction's error or a thrown exception), Firefox's legacy
 * NS_ERROR_DOM_QUOTA_REACHED, or code 22.
 */
export function isQuotaError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { name, code } = e as { name?: unknown; code?: unknown };
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22;
}

type StorageManagerLike = Pick<StorageManager, 'estimate' | 'persist' | 'persisted'>;

function defaultStorage(): StorageManagerLike | undefined {
  return typeof navigator !== 'undefined' ? navigator.storage : undefined;
}

/** Usage and quota of this site's storage, when the browser tells. */
export async function storageEstimate(storage: StorageManagerLike | undefined = defaultStorage()): Promise<{ usage: number; quota: number } | undefined> {
  try {
    const e = await storage?.estimate();
    return e && typeof e.usage === 'number' && typeof e.quota === 'number' ? { usage: e.usage, quota: e.quota } : undefined;
  } catch {
    return undefined;
  }
}

export type PersistResult = 'already' | 'granted' | 'denied' | 'unavailable';

/**
 * Asks the browser to keep this site's storage under pressure (call when the user starts a long
 * run). Never throws: 'unavailable' where the API is missing or fails.
 */
export async function requestPersistentStorage(storage: StorageManagerLike | undefined = defaultStorage()): Promise<PersistResult> {
  if (!storage || typeof storage.persist !== 'function') return 'unavailable';
  try {
    if (typeof storage.persisted === 'function' && (await storage.persisted())) return 'already';
    return (await storage.persist()) ? 'granted' : 'denied';
  } catch {
    return 'unavailable';
  }
}

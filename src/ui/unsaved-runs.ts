// A finished run whose save to IndexedDB failed (a full disk, a storage quota) is never dropped: it
// stays in this tab's memory, listed in History with its JSON download, until a save succeeds or
// the tab closes. The message about it survives later refreshes of the list.
import type { RunResult } from '../core/run-types';

export interface RunStore {
  saveRun(run: RunResult): Promise<void>;
  listRuns(): Promise<RunResult[]>;
}

export interface HistoryView {
  /** Saved runs, with unsaved ones (not in the store) first. */
  runs: RunResult[];
  /** Ids of the runs kept in memory only. */
  unsavedIds: string[];
  /** Why the unsaved runs are unsaved, and what to do; null when every run is saved. */
  saveError: string | null;
}

export class RunKeeper {
  private readonly unsaved = new Map<string, RunResult>();
  private lastError: string | null = null;

  constructor(private readonly store: RunStore) {}

  /** Saves the run; on failure keeps it in memory and returns false. */
  async add(run: RunResult, describe: (e: unknown) => string): Promise<boolean> {
    try {
      await this.store.saveRun(run);
      this.unsaved.delete(run.id);
      if (this.unsaved.size === 0) this.lastError = null;
      return true;
    } catch (e) {
      this.unsaved.set(run.id, run);
      this.lastError = describe(e);
      return false;
    }
  }

  /** The list History shows: a failure to read the store leaves the unsaved runs listed. */
  async view(): Promise<HistoryView> {
    const saved = await this.store.listRuns();
    const savedIds = new Set(saved.map((r) => r.id));
    for (const id of [...this.unsaved.keys()]) if (savedIds.has(id)) this.unsaved.delete(id);
    const unsaved = [...this.unsaved.values()];
    return { runs: [...unsaved, ...saved], unsavedIds: unsaved.map((r) => r.id), saveError: unsaved.length ? this.message() : null };
  }

  /** Deleted by the person: no longer kept. */
  forget(id: string): void {
    this.unsaved.delete(id);
  }

  unsavedRuns(): RunResult[] {
    return [...this.unsaved.values()];
  }

  message(): string {
    const n = this.unsaved.size;
    return `${n === 1 ? 'A finished run was' : `${n} finished runs were`} not saved (${this.lastError ?? 'storage failed'}). ${n === 1 ? 'It is' : 'They are'} kept in this tab until you close it: download ${n === 1 ? 'its' : 'their'} JSON below to keep ${n === 1 ? 'it' : 'them'}, or free storage and press Save again.`;
  }
}

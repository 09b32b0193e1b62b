// Reads the studio's checkpoint records from IndexedDB as the worker wrote them, so a test can
// wait for a checkpoint to exist instead of for a time.
import type { Page } from '@playwright/test';

/** Blocks done in the stored checkpoints (read from IndexedDB as the worker wrote them). */
export async function storedBlocks(page: Page): Promise<number[]> {
  return page.evaluate(
    () =>
      new Promise<number[]>((res) => {
        const open = indexedDB.open('webgpu-quant-studio-checkpoints');
        // Not created yet: leave the creation (and its object stores) to the worker.
        open.onupgradeneeded = () => open.transaction?.abort();
        open.onerror = () => res([]);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('summaries')) return (db.close(), res([]));
          const req = db.transaction('summaries').objectStore('summaries').getAll();
          req.onsuccess = () => (db.close(), res(req.result.map((s: { completedBlocks: number }) => s.completedBlocks)));
          req.onerror = () => (db.close(), res([]));
        };
      }),
  );
}

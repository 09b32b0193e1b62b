// Where Hub downloads are kept between page loads, keyed by repo, revision and file. The Hub
// loader only sees this interface: the browser uses OPFS, Node tests use memory.
import { bytesSource, type ByteSource, blobSource } from './byte-source';

export interface HubCacheKey {
  repo: string;
  revision: string;
  file: string;
}

export interface HubCacheStat {
  /** Bytes stored so far (a partial download can be resumed from here). */
  stored: number;
  /** Full size announced by the server, when known. */
  size?: number;
  etag?: string;
  complete: boolean;
}

export interface HubCacheWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Marks the entry complete and closes it. */
  finish(): Promise<void>;
  /** Closes after an interruption, keeping what was written for a later resume. */
  abort(): Promise<void>;
}

export interface HubCache {
  stat(key: HubCacheKey): Promise<HubCacheStat | undefined>;
  /** `resume` keeps the stored bytes and appends; otherwise the entry starts empty. */
  openWriter(key: HubCacheKey, info: { size?: number; etag?: string; resume: boolean }): Promise<HubCacheWriter>;
  /** Random access to a complete entry. */
  source(key: HubCacheKey): Promise<ByteSource>;
  delete(key: HubCacheKey): Promise<void>;
}

export function cacheKeyString(k: HubCacheKey): string {
  return `${k.repo}@${k.revision}/${k.file}`;
}

/** For Node and tests: everything in memory. */
export class MemoryHubCache implements HubCache {
  readonly entries = new Map<string, { chunks: Uint8Array[]; stored: number; size?: number; etag?: string; complete: boolean }>();

  async stat(key: HubCacheKey): Promise<HubCacheStat | undefined> {
    const e = this.entries.get(cacheKeyString(key));
    return e && { stored: e.stored, size: e.size, etag: e.etag, complete: e.complete };
  }

  async openWriter(key: HubCacheKey, info: { size?: number; etag?: string; resume: boolean }): Promise<HubCacheWriter> {
    const k = cacheKeyString(key);
    const prior = this.entries.get(k);
    const e = info.resume && prior ? prior : { chunks: [], stored: 0, complete: false };
    Object.assign(e, { size: info.size, etag: info.etag, complete: false });
    this.entries.set(k, e);
    return {
      write: async (chunk) => {
        e.chunks.push(chunk.slice());
        e.stored += chunk.byteLength;
      },
      finish: async () => {
        e.complete = true;
      },
      abort: async () => {},
    };
  }

  async source(key: HubCacheKey): Promise<ByteSource> {
    const e = this.entries.get(cacheKeyString(key));
    if (!e?.complete) throw new Error(`${cacheKeyString(key)} is not cached`);
    if (e.chunks.length !== 1) {
      const all = new Uint8Array(e.stored);
      let p = 0;
      for (const c of e.chunks) {
        all.set(c, p);
        p += c.byteLength;
      }
      e.chunks = [all];
    }
    return bytesSource(key.file, e.chunks[0]);
  }

  async delete(key: HubCacheKey): Promise<void> {
    this.entries.delete(cacheKeyString(key));
  }
}

// ---- OPFS (browser) ----

const enc = (s: string) => encodeURIComponent(s).replaceAll('.', '%2E');

interface SyncHandle {
  write(buf: Uint8Array, opts: { at: number }): number;
  flush(): void;
  close(): void;
  getSize(): number;
  truncate(n: number): void;
}

/**
 * Origin Private File System cache: hub-cache/<repo>/<revision>/<file> plus a <file>.meta.json
 * sidecar ({size, etag, complete}). In a worker, data is written in place through a sync access
 * handle, so a reload keeps every flushed byte; elsewhere a writable stream is used, which only
 * commits what it wrote when closed (an interrupted download then restarts that stretch).
 */
export class OpfsHubCache implements HubCache {
  private root: Promise<FileSystemDirectoryHandle> | undefined;

  static available(): boolean {
    return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function';
  }

  private async dir(key: HubCacheKey, create: boolean): Promise<FileSystemDirectoryHandle | undefined> {
    this.root ??= navigator.storage.getDirectory().then((d) => d.getDirectoryHandle('hub-cache', { create: true }));
    try {
      let d = await this.root;
      for (const part of [key.repo, key.revision]) d = await d.getDirectoryHandle(enc(part), { create });
      return d;
    } catch {
      return undefined;
    }
  }

  private async readMeta(d: FileSystemDirectoryHandle, key: HubCacheKey): Promise<{ size?: number; etag?: string; complete: boolean } | undefined> {
    try {
      const f = await (await d.getFileHandle(`${enc(key.file)}.meta.json`)).getFile();
      return JSON.parse(await f.text());
    } catch {
      return undefined;
    }
  }

  private async writeMeta(d: FileSystemDirectoryHandle, key: HubCacheKey, meta: { size?: number; etag?: string; complete: boolean }): Promise<void> {
    const w = await (await d.getFileHandle(`${enc(key.file)}.meta.json`, { create: true })).createWritable();
    await w.write(JSON.stringify(meta));
    await w.close();
  }

  async stat(key: HubCacheKey): Promise<HubCacheStat | undefined> {
    const d = await this.dir(key, false);
    if (!d) return undefined;
    const meta = await this.readMeta(d, key);
    if (!meta) return undefined;
    try {
      const f = await (await d.getFileHandle(enc(key.file))).getFile();
      return { ...meta, stored: f.size, complete: meta.complete && (meta.size === undefined || meta.size === f.size) };
    } catch {
      return undefined;
    }
  }

  async openWriter(key: HubCacheKey, info: { size?: number; etag?: string; resume: boolean }): Promise<HubCacheWriter> {
    const d = await this.dir(key, true);
    if (!d) throw new Error('OPFS is not available');
    const meta = { size: info.size, etag: info.etag, complete: false };
    await this.writeMeta(d, key, meta);
    const handle = await d.getFileHandle(enc(key.file), { create: true });
    const inWorker = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
    const createSync = (handle as unknown as { createSyncAccessHandle?: () => Promise<SyncHandle> }).createSyncAccessHandle;
    if (inWorker && createSync) {
      const h = await createSync.call(handle);
      if (!info.resume) h.truncate(0);
      let at = h.getSize();
      let sinceFlush = 0;
      return {
        write: async (chunk) => {
          at += h.write(chunk, { at });
          sinceFlush += chunk.byteLength;
          if (sinceFlush > 8 << 20) {
            h.flush();
            sinceFlush = 0;
          }
        },
        finish: async () => {
          h.flush();
          h.close();
          await this.writeMeta(d, key, { ...meta, complete: true });
        },
        abort: async () => {
          h.flush();
          h.close();
        },
      };
    }
    const w = await handle.createWritable({ keepExistingData: info.resume });
    if (info.resume) await w.seek((await handle.getFile()).size);
    return {
      write: (chunk) => w.write(chunk as Uint8Array<ArrayBuffer>),
      finish: async () => {
        await w.close();
        await this.writeMeta(d, key, { ...meta, complete: true });
      },
      abort: () => w.close(),
    };
  }

  async source(key: HubCacheKey): Promise<ByteSource> {
    const d = await this.dir(key, false);
    if (!d) throw new Error(`${cacheKeyString(key)} is not cached`);
    const f = await (await d.getFileHandle(enc(key.file))).getFile();
    return blobSource(f, key.file);
  }

  async delete(key: HubCacheKey): Promise<void> {
    const d = await this.dir(key, false);
    if (!d) return;
    for (const n of [enc(key.file), `${enc(key.file)}.meta.json`]) await d.removeEntry(n).catch(() => {});
  }
}

export function defaultHubCache(): HubCache {
  return OpfsHubCache.available() ? new OpfsHubCache() : new MemoryHubCache();
}

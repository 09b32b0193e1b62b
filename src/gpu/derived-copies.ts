// Copies derived from a buffer's contents (the f16 conversions of the half-precision matmuls,
// src/ops/precision.ts), kept until those contents may change. The runtime (gpu.ts) drops every
// copy of a buffer whenever anything may write it: a dispatch that binds it read_write, a copy,
// clear or CPU write into it, and its release to the pool (a pooled buffer comes back as another
// tensor). Views and row ranges share their tensor's buffer, so writing through any drops the copies of all.
// A copy found here therefore always holds what a fresh derivation from the source would give now.
// The copies are tensors owned by this registry: released here (back to the pool) when dropped,
// evicted least recently used first to stay under maxBytes.
import type { Tensor } from './tensor';

/** A kept copy: what it was derived from and as what, and the owner's tag (e.g. the class its f16 overflow was counted under). */
export interface CopyEntry {
  readonly copy: Tensor;
  readonly tag: string;
}

interface Entry extends CopyEntry {
  source: GPUBuffer;
  /** The source's offset in its buffer (row ranges of one buffer have copies of their own). */
  offset: number;
  kind: string;
  dtype: string;
  size: number;
}

export class DerivedCopies {
  /** The copies of each source buffer (a few at most: searched in order, no key built per lookup). */
  private bySource = new Map<GPUBuffer, Entry[]>();
  /** Every entry, least recently used first. */
  private lru = new Set<Entry>();
  /** Bytes the copies take now, at most maxBytes. */
  bytes = 0;
  /** The bound on bytes (0, the default: nothing is kept). */
  maxBytes = 0;
  hits = 0;
  misses = 0;

  get size(): number {
    return this.lru.size;
  }

  /** The `kind` copy of source's current contents (same dtype and size), if one is kept. */
  private find(source: Tensor, kind: string): Entry | undefined {
    const list = this.bySource.get(source.buffer);
    if (list) for (const e of list) if (e.kind === kind && e.offset === source.offset && e.dtype === source.dtype && e.size === source.size) return e;
    return undefined;
  }

  /** The `kind` copy of source's current contents, if one is kept (it may have another shape of the same size). */
  get(source: Tensor, kind: string): Tensor | undefined {
    return this.lookup(source, kind)?.copy;
  }

  /** As get(), with the tag the copy was kept with. */
  lookup(source: Tensor, kind: string): CopyEntry | undefined {
    const e = this.find(source, kind);
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.lru.delete(e);
    this.lru.add(e);
    return e;
  }

  /**
   * Keeps `copy` as the `kind` copy of source's current contents; the registry owns it from then on.
   * Makes room by dropping the least recently used copies except those in `inUse` (copies the
   * caller got and has not yet encoded its use of). Returns false and keeps nothing where it cannot
   * make room: the caller still owns the copy.
   */
  put(source: Tensor, kind: string, copy: Tensor, inUse: readonly Tensor[] = [], tag = ''): boolean {
    const bytes = copy.byteLength;
    const old = this.find(source, kind);
    if (old && !inUse.includes(old.copy)) this.drop(old);
    let free = this.maxBytes - this.bytes;
    // what eviction could add, counted only where the free room is short (a walk over every copy)
    if (bytes > free) for (const e of this.lru) if (!inUse.includes(e.copy)) free += e.copy.byteLength;
    if (bytes > free || this.find(source, kind)) return false;
    for (const e of this.lru) {
      if (this.bytes + bytes <= this.maxBytes) break;
      if (!inUse.includes(e.copy)) this.drop(e);
    }
    let list = this.bySource.get(source.buffer);
    if (!list) this.bySource.set(source.buffer, (list = []));
    const e: Entry = { source: source.buffer, offset: source.offset, kind, dtype: source.dtype, size: source.size, copy, tag };
    list.push(e);
    this.lru.add(e);
    this.bytes += bytes;
    return true;
  }

  /** Drops (and releases) every copy of a buffer's contents: called by the runtime before anything may change them. */
  invalidate(buffer: GPUBuffer): void {
    const list = this.bySource.get(buffer);
    // from the end: drop() takes each entry out of this list
    if (list) for (let i = list.length - 1; i >= 0; i--) this.drop(list[i]);
  }

  /** Drops every copy. */
  clear(): void {
    for (const e of this.lru) this.drop(e);
  }

  private drop(e: Entry): void {
    const list = this.bySource.get(e.source)!;
    list.splice(list.indexOf(e), 1);
    if (!list.length) this.bySource.delete(e.source);
    this.lru.delete(e);
    this.bytes -= e.copy.byteLength;
    e.copy.release(); // later users of the buffer are ordered after the dispatches that read it
  }
}

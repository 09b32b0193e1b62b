// Reuses storage buffers by size class. All work goes through one queue, so a buffer released
// after its last dispatch was encoded can be handed out again for later dispatches.
import { GpuOutOfMemoryError, OverLimitsError } from './errors';

const USAGE = GPUBufferUsageFlags();

function GPUBufferUsageFlags(): number {
  // GPUBufferUsage is a global in browsers and in the `webgpu` Node package once installed.
  const u = (globalThis as unknown as { GPUBufferUsage?: Record<string, number> }).GPUBufferUsage;
  return u ? u.STORAGE | u.COPY_SRC | u.COPY_DST : 0x80 | 0x04 | 0x08;
}

/** Rounds to a size class: powers of two below 1 MiB, then multiples of 1 MiB. */
export function sizeClass(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (b <= 1 << 20) return 1 << Math.ceil(Math.log2(b));
  return Math.ceil(b / (1 << 20)) * (1 << 20);
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private sizes = new WeakMap<GPUBuffer, number>();
  /** Creation order of each buffer: free lists are kept sorted by it (see give). */
  private serials = new WeakMap<GPUBuffer, number>();
  private nextSerial = 0;
  /** Bytes in tensors handed out. */
  liveBytes = 0;
  peakBytes = 0;
  /** Bytes held free in the pool. */
  pooledBytes = 0;
  /** Bytes of every buffer created and not destroyed (live + pooled): the GPU footprint. */
  allocatedBytes = 0;
  peakAllocatedBytes = 0;
  /** Called with every buffer given back, before it can be taken again (the runtime drops its derived copies). */
  onGive: ((buf: GPUBuffer) => void) | null = null;
  /** Out-of-memory errors found by error scopes, checked at the next submit. */
  pendingError: Error | null = null;

  constructor(
    private device: GPUDevice,
    private limits: { maxBufferSize: number; maxStorageBufferBindingSize: number },
  ) {}

  /** `overBinding`: a buffer only ever bound through row ranges that fit a binding (Tensor.rowViews), up to maxBufferSize. */
  take(bytes: number, name: string, overBinding = false): GPUBuffer {
    const [limit, key] = overBinding
      ? [this.limits.maxBufferSize, 'maxBufferSize' as const]
      : [this.limits.maxStorageBufferBindingSize, 'maxStorageBufferBindingSize' as const];
    if (bytes > limit) throw new OverLimitsError(name, bytes, key, limit);
    let cls = sizeClass(bytes);
    if (cls > this.limits.maxStorageBufferBindingSize) cls = Math.ceil(bytes / 16) * 16;
    const list = this.free.get(cls);
    let buf = list?.pop();
    if (buf) {
      this.pooledBytes -= cls;
    } else {
      this.device.pushErrorScope('out-of-memory');
      buf = this.device.createBuffer({ size: cls, usage: USAGE, label: name });
      void this.device.popErrorScope().then((err) => {
        if (err && !this.pendingError) this.pendingError = new GpuOutOfMemoryError(name, cls);
      });
      this.sizes.set(buf, cls);
      this.serials.set(buf, this.nextSerial++);
      this.allocatedBytes += cls;
      this.peakAllocatedBytes = Math.max(this.peakAllocatedBytes, this.allocatedBytes);
    }
    this.liveBytes += cls;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
    return buf;
  }

  /** Starts a new measurement window for peaks (per phase). */
  resetPeaks(): void {
    this.peakBytes = this.liveBytes;
    this.peakAllocatedBytes = this.allocatedBytes;
  }

  give(buf: GPUBuffer): void {
    this.onGive?.(buf);
    const cls = this.sizes.get(buf) ?? buf.size;
    this.liveBytes -= cls;
    this.pooledBytes += cls;
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    // Oldest buffer last (take pops it): which buffer a take returns depends on the set of free
    // buffers, not on the order they came back, so a loop gets the same buffers every iteration
    // and the Gpu's cached bind groups for them are reused.
    const serial = this.serials.get(buf) ?? -1;
    let i = list.length;
    while (i > 0 && (this.serials.get(list[i - 1]) ?? -1) < serial) i--;
    list.splice(i, 0, buf);
  }

  /** Frees pooled buffers back to the driver (between blocks, or under memory pressure). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.allocatedBytes -= this.pooledBytes;
    this.pooledBytes = 0;
  }
}

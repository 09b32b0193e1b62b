// Per-kernel GPU time from timestamp queries (only where the device has 'timestamp-query').
// Used by benchmarks; each timed dispatch gets its own pass with begin/end timestamps. Per label
// it also sums the bytes of the storage buffers each timed dispatch bound (the benchmark's traffic
// estimate) and keeps the shader's name (the benchmark groups kernels into families by it).
const MAX_QUERIES = 4096;

/** What the timed dispatches of one label took. */
export interface KernelTotal {
  ns: number;
  count: number;
  /** Σ over the timed dispatches of their bound storage buffers' sizes. */
  bytes: number;
  /** The shader (file name without .wgsl) that ran under this label. */
  shader: string;
}

interface TimedDispatch {
  label: string;
  shader: string;
  bytes: number;
}

export class KernelTimer {
  private querySet: GPUQuerySet;
  private resolveBuf: GPUBuffer;
  private readBuf: GPUBuffer;
  private labels: TimedDispatch[] = [];
  private pendingRead: Promise<void> | null = null;
  private readToken: object | null = null;
  readonly totals = new Map<string, KernelTotal>();

  constructor(private device: GPUDevice) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: MAX_QUERIES });
    this.resolveBuf = device.createBuffer({ size: MAX_QUERIES * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.readBuf = device.createBuffer({ size: MAX_QUERIES * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  passWrites(label: string, shader: string, bytes: number): GPUComputePassTimestampWrites | null {
    if (this.labels.length * 2 + 2 > MAX_QUERIES || this.pendingRead) return null;
    const i = this.labels.length;
    this.labels.push({ label, shader, bytes });
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  resolve(enc: GPUCommandEncoder): void {
    const n = this.labels.length;
    if (!n || this.pendingRead) return;
    enc.resolveQuerySet(this.querySet, 0, 2 * n, this.resolveBuf, 0);
    enc.copyBufferToBuffer(this.resolveBuf, 0, this.readBuf, 0, 16 * n);
    const labels = this.labels;
    const token = {};
    this.readToken = token;
    this.pendingRead = (async () => {
      await this.device.queue.onSubmittedWorkDone();
      await this.readBuf.mapAsync(GPUMapMode.READ, 0, 16 * labels.length);
      const t = new BigUint64Array(this.readBuf.getMappedRange(0, 16 * labels.length).slice(0));
      this.readBuf.unmap();
      labels.forEach((d, i) => {
        const ns = Number(t[2 * i + 1] - t[2 * i]);
        // a label two shaders share stays two entries (a family is read from the shader)
        let key = d.label;
        let e = this.totals.get(key);
        if (e && e.shader !== d.shader) e = this.totals.get((key = `${d.label} [${d.shader}]`));
        if (!e) this.totals.set(key, (e = { ns: 0, count: 0, bytes: 0, shader: d.shader }));
        e.ns += ns;
        e.count++;
        e.bytes += d.bytes;
      });
      // Sampling goes on with the next submission without waiting for collect() (loops that
      // never sync still get timed, one submission in a few).
      if (this.readToken === token) this.pendingRead = null;
    })();
    this.labels = [];
  }

  async collect(): Promise<void> {
    const p = this.pendingRead;
    this.pendingRead = null;
    if (p) await p;
  }

  reset(): void {
    this.totals.clear();
  }
}

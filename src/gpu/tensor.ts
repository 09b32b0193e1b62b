// A tensor is a shape, a dtype and a GPU buffer. Buffers come from the runtime's pool and go back
// to it on release(), so long loops allocate nothing after their first iteration.

/**
 * What a tensor needs of the runtime that made it (Gpu implements it): the device's limits, the pool
 * its buffer goes back to, and reads. Named here so that the tensor imports nothing of the runtime.
 */
export interface TensorRuntime {
  readonly device: GPUDevice;
  readonly pool: { give(buffer: GPUBuffer): void };
  readBuffer(buffer: GPUBuffer, bytes: number, offset?: number): Promise<ArrayBuffer>;
}

export type DType = 'f32' | 'u32' | 'i32' | 'f16';

export const BYTES_PER_ELEMENT: Record<DType, number> = { f32: 4, u32: 4, i32: 4, f16: 2 };

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Row ranges of one buffer that own it together (Tensor.splitRows): it goes back when the last is released. */
interface SharedOwners {
  live: number;
}

/**
 * A tensor binds `byteLength` bytes of its buffer from byte `offset` (0 but for row ranges). Row
 * ranges of one buffer (splitRows) let Linears that share an input keep their weights side by
 * side, so that one product covers them all (spanRows). WebGPU forbids a dispatch to bind one
 * buffer both read-only and writable, whatever the ranges: no kernel may read one range of a
 * buffer while writing another.
 */
export class Tensor {
  private released = false;
  /** Elements (the shape's product), computed once: the runtime reads it for every binding of every dispatch. */
  readonly size: number;
  /** Bytes bound, whole 4-byte words. */
  readonly byteLength: number;
  constructor(
    readonly gpu: TensorRuntime,
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly name: string,
    /** Where it starts in its buffer, bytes. */
    readonly offset = 0,
    /** Set for row ranges that own their buffer together; 'borrowed': a span that owns nothing. */
    private readonly owners: SharedOwners | 'borrowed' | null = null,
  ) {
    this.size = numel(shape);
    this.byteLength = Math.ceil((this.size * BYTES_PER_ELEMENT[dtype]) / 4) * 4;
  }

  /** Same buffer, another shape with the same element count. */
  view(shape: readonly number[]): Tensor {
    if (numel(shape) !== this.size) throw new Error(`view of ${this.name}: ${shape} has ${numel(shape)} elements, not ${this.size}`);
    return new Tensor(this.gpu, this.buffer, shape, this.dtype, this.name, this.offset, this.owners);
  }

  /**
   * This tensor's rows in consecutive ranges of `rows` each (a tensor per range, same trailing
   * dims): they own the buffer together from now on (this tensor is spent; release each part).
   * Throws where a range would not start at the device's storage-binding alignment (rowsSplittable).
   */
  splitRows(rows: readonly number[], names: readonly string[] = []): Tensor[] {
    if (this.released || this.owners !== null) throw new Error(`splitRows of ${this.name}: only a tensor that owns its buffer alone can be split`);
    if (rows.reduce((a, r) => a + r, 0) !== this.shape[0]) throw new Error(`splitRows of ${this.name}: ${rows} rows do not add up to ${this.shape[0]}`);
    if (!rowsSplittable(this.gpu, this.shape, this.dtype, rows))
      throw new Error(`splitRows of ${this.name}: a range would not start at the device's storage-binding alignment`);
    const parts = this.ranges(rows, { live: rows.length }, names);
    this.released = true;
    return parts;
  }

  /** The same range as a tensor that owns nothing (its release does nothing; this tensor keeps the buffer). */
  borrow(): Tensor {
    return new Tensor(this.gpu, this.buffer, this.shape, this.dtype, this.name, this.offset, 'borrowed');
  }

  /** Consecutive ranges of `rows` rows each as tensors that own nothing (this tensor keeps the buffer; rowsSplittable must hold). */
  rowViews(rows: readonly number[]): Tensor[] {
    if (!rowsSplittable(this.gpu, this.shape, this.dtype, rows))
      throw new Error(`rowViews of ${this.name}: a range would not start at the device's storage-binding alignment`);
    return this.ranges(rows, 'borrowed');
  }

  /** Tensors of consecutive ranges of `rows` rows each, from this tensor's offset, owning the buffer as `owners` says. */
  private ranges(rows: readonly number[], owners: SharedOwners | 'borrowed', names: readonly string[] = []): Tensor[] {
    const rowBytes = (this.size / this.shape[0]) * BYTES_PER_ELEMENT[this.dtype];
    let offset = this.offset;
    return rows.map((r, i) => {
      const t = new Tensor(this.gpu, this.buffer, [r, ...this.shape.slice(1)], this.dtype, names[i] ?? this.name, offset, owners);
      offset += r * rowBytes;
      return t;
    });
  }

  async read(): Promise<Float32Array | Uint32Array | Int32Array> {
    const bytes = await this.gpu.readBuffer(this.buffer, this.byteLength, this.offset);
    if (this.dtype === 'u32') return new Uint32Array(bytes);
    if (this.dtype === 'i32') return new Int32Array(bytes);
    if (this.dtype === 'f16') throw new Error(`read() of f16 tensor ${this.name}: convert to f32 on the GPU first`);
    return new Float32Array(bytes);
  }

  async readF32(): Promise<Float32Array> {
    if (this.dtype !== 'f32') throw new Error(`${this.name} is ${this.dtype}, not f32`);
    return (await this.read()) as Float32Array;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.owners === 'borrowed') return;
    if (this.owners && --this.owners.live > 0) return;
    this.gpu.pool.give(this.buffer);
  }
}

/** Whether splitRows(rows) of a tensor of `shape` and `dtype` would start every range at the device's storage-binding alignment. */
export function rowsSplittable(gpu: Pick<TensorRuntime, 'device'>, shape: readonly number[], dtype: DType, rows: readonly number[]): boolean {
  const align = gpu.device.limits.minStorageBufferOffsetAlignment ?? 256;
  const rowBytes = (numel(shape) / shape[0]) * BYTES_PER_ELEMENT[dtype];
  let start = 0;
  for (const r of rows) {
    if ((start * rowBytes) % align !== 0) return false;
    start += r;
  }
  return true;
}

/**
 * The rows of `parts` as one tensor, where they lie side by side in order in one buffer (same
 * dtype and trailing dims, each starting where the one before ends): a span that owns nothing
 * (its release does nothing; the parts keep the buffer). Else null.
 */
export function spanRows(parts: readonly Tensor[], name = 'span'): Tensor | null {
  const [first] = parts;
  if (!first) return null;
  const tail = first.shape.slice(1);
  let end = first.offset;
  let rows = 0;
  for (const t of parts) {
    if (t.buffer !== first.buffer || t.dtype !== first.dtype || t.offset !== end || t.shape.length !== first.shape.length) return null;
    if (t.shape.slice(1).some((d, i) => d !== tail[i])) return null;
    end += t.size * BYTES_PER_ELEMENT[t.dtype];
    rows += t.shape[0];
  }
  return new Tensor(first.gpu, first.buffer, [rows, ...tail], first.dtype, name, first.offset, 'borrowed');
}

/**
 * Whether `out` is `x` itself (an in-place kernel variant binds it once). Other ranges of x's buffer
 * cannot be bound beside it (WebGPU: one buffer read-only and writable in one dispatch): an error.
 */
export function inPlace(op: string, out: Tensor, x: Tensor): boolean {
  if (out.buffer !== x.buffer) return false;
  if (out.offset !== x.offset)
    throw new Error(`${op}: ${out.name} and ${x.name} are different ranges of one buffer, which a kernel cannot read and write at once`);
  return true;
}

// A tensor is a shape, a dtype and a GPU buffer. Buffers come from the runtime's pool and go back
// to it on release(), so long loops allocate nothing after their first iteration.
import type { Gpu } from './gpu';

export type DType = 'f32' | 'u32' | 'i32' | 'f16';

export const BYTES_PER_ELEMENT: Record<DType, number> = { f32: 4, u32: 4, i32: 4, f16: 2 };

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export class Tensor {
  private released = false;
  /** Elements (the shape's product), computed once: the runtime reads it for every binding of every dispatch. */
  readonly size: number;
  /** Bytes bound, whole 4-byte words. */
  readonly byteLength: number;
  constructor(
    readonly gpu: Gpu,
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly name: string,
  ) {
    this.size = numel(shape);
    this.byteLength = Math.ceil((this.size * BYTES_PER_ELEMENT[dtype]) / 4) * 4;
  }

  /** Same buffer, another shape with the same element count. */
  view(shape: readonly number[]): Tensor {
    if (numel(shape) !== this.size) throw new Error(`view of ${this.name}: ${shape} has ${numel(shape)} elements, not ${this.size}`);
    return new Tensor(this.gpu, this.buffer, shape, this.dtype, this.name);
  }

  async read(): Promise<Float32Array | Uint32Array | Int32Array> {
    const bytes = await this.gpu.readBuffer(this.buffer, this.byteLength);
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
    this.gpu.pool.give(this.buffer);
  }
}

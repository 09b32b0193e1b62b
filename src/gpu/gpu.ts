// The runtime every op uses: one device, a buffer pool, a pipeline cache and one open command
// encoder that collects many dispatches into a single submission. Nothing here knows about models.
import type { AcquiredDevice, AdapterReport } from './device';
import { DeviceLostError, EngineError } from './errors';
import { BufferPool } from './buffer-pool';
import { preprocessWgsl, type ShaderParams } from './preprocess';
import { shaderSources } from './shader-sources';
import { BYTES_PER_ELEMENT, numel, Tensor, type DType } from './tensor';
import { KernelTimer } from './timing';

/** A uniform value: plain numbers are u32 (negative ones i32), f32(x) marks a float. */
export class F32 {
  constructor(readonly value: number) {}
}
export const f32 = (v: number) => new F32(v);
export type UniformValue = number | F32;

export interface DispatchSpec {
  /** File in shaders/, e.g. "matmul.wgsl". */
  shader: string;
  /** Compile-time parameters ({{NAME}} and #if NAME). Part of the pipeline cache key. */
  params?: ShaderParams;
  /** Packed into a uniform struct at @binding(0), in order, 4 bytes each. */
  uniforms?: UniformValue[];
  /** Storage buffers at @binding(1..n), in order. */
  buffers: (Tensor | GPUBuffer)[];
  workgroups: [number, number?, number?];
  /** For timing and error messages. */
  label?: string;
}

const UNIFORM_SLOT = 256;
const UNIFORM_RING_BYTES = 1 << 20;

export class Gpu {
  readonly device: GPUDevice;
  readonly report: AdapterReport;
  readonly hasF16: boolean;
  readonly hasSubgroups: boolean;
  readonly pool: BufferPool;
  readonly timer: KernelTimer | null;
  readonly maxWorkgroupSize: number;
  readonly maxWorkgroupsPerDim: number;
  lostError: DeviceLostError | null = null;
  readonly uncapturedErrors: string[] = [];
  onLost: ((e: DeviceLostError) => void) | null = null;

  private pipelines = new Map<string, GPUComputePipeline>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private uniformRing: GPUBuffer;
  private uniformStaging = new ArrayBuffer(UNIFORM_RING_BYTES);
  private uniformUsed = 0;
  dispatchCount = 0;
  submitCount = 0;

  constructor(acq: AcquiredDevice, opts: { profile?: boolean } = {}) {
    this.device = acq.device;
    this.report = acq.report;
    this.hasF16 = acq.hasF16;
    this.hasSubgroups = acq.hasSubgroups;
    const lim = this.device.limits;
    this.maxWorkgroupSize = lim.maxComputeInvocationsPerWorkgroup;
    this.maxWorkgroupsPerDim = lim.maxComputeWorkgroupsPerDimension;
    this.pool = new BufferPool(this.device, {
      maxBufferSize: lim.maxBufferSize,
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
    });
    this.timer = opts.profile && acq.hasTimestamps ? new KernelTimer(this.device) : null;
    this.uniformRing = this.device.createBuffer({
      size: UNIFORM_RING_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      label: 'uniform-ring',
    });
    this.device.addEventListener('uncapturederror', (ev) => {
      const msg = (ev as GPUUncapturedErrorEvent).error.message;
      this.uncapturedErrors.push(msg);
      console.error(`[webgpu] ${msg}`);
    });
    void this.device.lost.then((info) => {
      this.lostError = new DeviceLostError(info.reason ?? 'unknown', info.message);
      this.onLost?.(this.lostError);
    });
  }

  private checkAlive(): void {
    if (this.lostError) throw this.lostError;
    if (this.pool.pendingError) {
      const e = this.pool.pendingError;
      this.pool.pendingError = null;
      throw e;
    }
  }

  // ---------------------------------------------------------------- tensors

  tensor(shape: readonly number[], dtype: DType = 'f32', name = 'tensor'): Tensor {
    this.checkAlive();
    const bytes = Math.max(4, Math.ceil((numel(shape) * BYTES_PER_ELEMENT[dtype]) / 4) * 4);
    return new Tensor(this, this.pool.take(bytes, name), shape, dtype, name);
  }

  upload(data: Float32Array | Uint32Array | Int32Array, shape: readonly number[], name = 'upload'): Tensor {
    const dtype: DType = data instanceof Uint32Array ? 'u32' : data instanceof Int32Array ? 'i32' : 'f32';
    if (data.length !== numel(shape)) throw new Error(`upload ${name}: ${data.length} values for shape [${shape}]`);
    const t = this.tensor(shape, dtype, name);
    // A pooled buffer may still be read by dispatches encoded but not yet submitted.
    if (this.encoder) this.flush();
    this.device.queue.writeBuffer(t.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return t;
  }

  /** Overwrites a tensor's contents from the CPU (queued in order with dispatches). */
  write(t: Tensor, data: Float32Array | Uint32Array | Int32Array, elementOffset = 0): void {
    this.flush(); // earlier dispatches must see the old contents
    this.device.queue.writeBuffer(t.buffer, elementOffset * 4, data.buffer, data.byteOffset, data.byteLength);
  }

  zeros(shape: readonly number[], name = 'zeros', dtype: DType = 'f32'): Tensor {
    const t = this.tensor(shape, dtype, name);
    this.clear(t);
    return t;
  }

  clear(t: Tensor): void {
    this.endPass();
    this.getEncoder().clearBuffer(t.buffer, 0, t.byteLength);
  }

  copy(src: Tensor, dst: Tensor, srcOffsetElems = 0, dstOffsetElems = 0, elems = src.size): void {
    this.endPass();
    this.getEncoder().copyBufferToBuffer(src.buffer, srcOffsetElems * 4, dst.buffer, dstOffsetElems * 4, elems * 4);
  }

  clone(src: Tensor, name = src.name): Tensor {
    const t = this.tensor(src.shape, src.dtype, name);
    this.copy(src, t);
    return t;
  }

  // ---------------------------------------------------------------- dispatch

  pipeline(shader: string, params: ShaderParams = {}): GPUComputePipeline {
    const key = `${shader}|${JSON.stringify(params, Object.keys(params).sort())}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const code = preprocessWgsl(shader, shaderSources, params);
      const module = this.device.createShaderModule({ code, label: shader });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
      this.pipelines.set(key, p);
    }
    return p;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  dispatch(spec: DispatchSpec): void {
    this.checkAlive();
    const pipeline = this.pipeline(spec.shader, spec.params);
    const entries: GPUBindGroupEntry[] = [];
    if (spec.uniforms && spec.uniforms.length) {
      const bytes = spec.uniforms.length * 4;
      if (this.uniformUsed + bytes > UNIFORM_RING_BYTES) this.flush();
      const offset = this.uniformUsed;
      const dv = new DataView(this.uniformStaging, offset, UNIFORM_SLOT);
      spec.uniforms.forEach((u, i) => {
        if (u instanceof F32) dv.setFloat32(i * 4, u.value, true);
        else if (u < 0) dv.setInt32(i * 4, u, true);
        else dv.setUint32(i * 4, u, true);
      });
      this.uniformUsed += Math.ceil(bytes / UNIFORM_SLOT) * UNIFORM_SLOT;
      entries.push({ binding: 0, resource: { buffer: this.uniformRing, offset, size: bytes } });
    }
    spec.buffers.forEach((b, i) => {
      const buffer = b instanceof Tensor ? b.buffer : b;
      const size = b instanceof Tensor ? b.byteLength : b.size;
      entries.push({ binding: i + 1, resource: { buffer, offset: 0, size } });
    });
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const [x, y = 1, z = 1] = spec.workgroups;
    if (x > this.maxWorkgroupsPerDim || y > this.maxWorkgroupsPerDim || z > this.maxWorkgroupsPerDim) {
      throw new EngineError('over-limits', `${spec.label ?? spec.shader}: ${x}x${y}x${z} workgroups exceed ${this.maxWorkgroupsPerDim} per dimension`);
    }
    if (x === 0 || y === 0 || z === 0) return;
    const pass = this.timer ? this.timedPass(spec.label ?? spec.shader) : this.getPass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    if (this.timer) this.endPass();
    this.dispatchCount++;
  }

  /** Splits a 1-D count of workgroups over x and y so it stays under the per-dimension limit. */
  grid1D(workgroups: number): [number, number] {
    if (workgroups <= this.maxWorkgroupsPerDim) return [workgroups, 1];
    const y = Math.ceil(workgroups / this.maxWorkgroupsPerDim);
    return [Math.ceil(workgroups / y), y];
  }

  private getEncoder(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  private getPass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = this.getEncoder().beginComputePass();
    return this.pass;
  }

  private timedPass(label: string): GPUComputePassEncoder {
    this.endPass();
    const enc = this.getEncoder();
    const writes = this.timer!.passWrites(label, enc);
    this.pass = enc.beginComputePass(writes ? { timestampWrites: writes } : {});
    return this.pass;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Submits everything encoded so far. */
  flush(): void {
    this.checkAlive();
    this.endPass();
    if (!this.encoder && this.uniformUsed === 0) return;
    if (this.uniformUsed) this.device.queue.writeBuffer(this.uniformRing, 0, this.uniformStaging, 0, this.uniformUsed);
    if (this.encoder) {
      this.timer?.resolve(this.encoder);
      this.device.queue.submit([this.encoder.finish()]);
      this.submitCount++;
    }
    this.encoder = null;
    this.uniformUsed = 0;
  }

  /** Waits until the GPU has finished all submitted work. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.checkAlive();
    await this.timer?.collect();
  }

  async readBuffer(buffer: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
    this.checkAlive();
    const staging = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.endPass();
    this.getEncoder().copyBufferToBuffer(buffer, offset, staging, 0, bytes);
    this.flush();
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (e) {
      this.checkAlive();
      throw e;
    }
    const out = staging.getMappedRange().slice(0);
    staging.unmap();
    staging.destroy();
    this.checkAlive();
    return out;
  }

  destroy(): void {
    this.pool.trim();
    this.uniformRing.destroy();
    this.device.destroy();
  }
}

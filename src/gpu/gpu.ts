// The runtime every op uses: one device, a buffer pool, a pipeline cache and one open command
// encoder that collects many dispatches into a single submission. Nothing here knows about models.
import type { AcquiredDevice, AdapterReport, SubgroupMatrixShape } from './device';
import { DeviceLostError, EngineError } from './errors';
import { BufferPool } from './buffer-pool';
import { DerivedCopies } from './derived-copies';
import {
  checkKernel,
  reflectBindings,
  type Bindable,
  type BindingAccess,
  type BindingKind,
  type CheckedInterface,
  type Kernel,
  type KernelArgs,
  type UniformType,
} from './kernel';
import { preprocessWgsl, type ShaderParams } from './preprocess';
import { shaderSources } from './shader-sources';
import { BYTES_PER_ELEMENT, numel, Tensor, type DType } from './tensor';
import { KernelTimer } from './timing';
import { TRIE_LEAF, trieChild, type NumberTrie } from './number-trie';

/** How a dispatch runs a kernel: its compile-time variant, named uniforms and buffers, the grid. */
export type DispatchArgs<U, B> = KernelArgs<U, B> & {
  /** Compile-time parameters ({{NAME}} and #if NAME). Part of the pipeline cache key. */
  params?: ShaderParams;
  workgroups: [number, number?, number?];
  /** For timing and error messages (the shader name when absent). */
  label?: string;
};

const UNIFORM_SLOT = 256;
const UNIFORM_RING_BYTES = 1 << 20;
/** Cached bind groups before the cache starts over. */
const MAX_BIND_GROUPS = 16384;

/** Nested maps of small integers down to a bind group (under TRIE_LEAF). */
type BindGroupTrie = NumberTrie<GPUBindGroup>;

interface LayoutEntry {
  id: number;
  bgl: GPUBindGroupLayout;
  /** Kind per binding index (undefined where the shader declares none). */
  bindings: (BindingKind | undefined)[];
}

interface PipelineEntry extends CheckedInterface {
  /** The storage bindings it may write (read_write), whose buffers' derived copies each dispatch drops. */
  writeNames: string[];
  params: ShaderParams;
  pipeline: GPUComputePipeline;
  layout: LayoutEntry;
  hasUniform: boolean;
}

/** The label of a pipeline: shader and its compile-time parameters, sorted by name. */
export function pipelineKey(shader: string, params: ShaderParams): string {
  return `${shader}|${Object.keys(params)
    .sort()
    .map((k) => `${k}=${String(params[k])}`)
    .join(',')}`;
}

/** Same compile-time parameters (a missing key and an absent object count as equal to each other only). */
function sameParams(a: ShaderParams, b: ShaderParams | undefined): boolean {
  let n = 0;
  if (b) {
    for (const k in b) {
      if (a[k] !== b[k]) return false;
      n++;
    }
  }
  for (const _ in a) n--;
  return n === 0;
}

/** Bytes of the storage buffers a dispatch binds (each binding once, whole bound range). */
function boundBytes(given: Readonly<Record<string, Bindable | undefined>>): number {
  let bytes = 0;
  for (const k in given) {
    const b = given[k];
    if (b !== undefined) bytes += b instanceof Tensor ? b.byteLength : b.size;
  }
  return bytes;
}

export class Gpu {
  readonly device: GPUDevice;
  readonly report: AdapterReport;
  readonly hasF16: boolean;
  readonly hasSubgroups: boolean;
  /** The tensor-core configuration the f16 matmuls use, or null (no subgroup matrices, or not asked for). */
  readonly subgroupMatrix: SubgroupMatrixShape | null;
  readonly pool: BufferPool;
  /** Copies derived from buffers' contents (f16 matmul operands), dropped on every write and release. */
  readonly copies = new DerivedCopies();
  readonly timer: KernelTimer | null;
  readonly maxWorkgroupSize: number;
  readonly maxWorkgroupsPerDim: number;
  lostError: DeviceLostError | null = null;
  readonly uncapturedErrors: string[] = [];
  onLost: ((e: DeviceLostError) => void) | null = null;

  private pipelines = new Map<Kernel, PipelineEntry[]>();
  /** Frozen params objects (reused by their callers) and the variant each found. */
  private pipelineByParams = new WeakMap<object, { kernel: Kernel; e: PipelineEntry }>();
  private pipelineTotal = 0;
  private layouts = new Map<string, LayoutEntry>();
  /** Bind groups by layout id, then (buffer id, offset where not 0, bound size) per storage binding: nested maps of
   * small integers, so that a lookup builds no key (it runs for every dispatch). */
  private bindGroups: BindGroupTrie = new Map();
  private bindGroupsKept = 0;
  private bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  private boundPass: GPUComputePassEncoder | null = null;
  private boundPipeline: GPUComputePipeline | null = null;
  private dynamicOffset = new Uint32Array(1);
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private uniformRing: GPUBuffer;
  private uniformStaging = new ArrayBuffer(UNIFORM_RING_BYTES);
  private uniformView = new DataView(this.uniformStaging);
  private uniformUsed = 0;
  dispatchCount = 0;
  submitCount = 0;
  /** Compute passes begun (copies and clears end a pass; profiling for the training loops). */
  passCount = 0;
  /** Bind groups created (cache misses). */
  bindGroupCount = 0;
  onBindGroupMiss: ((label: string) => void) | null = null;

  constructor(acq: AcquiredDevice, opts: { profile?: boolean } = {}) {
    this.device = acq.device;
    this.report = acq.report;
    this.hasF16 = acq.hasF16;
    this.hasSubgroups = acq.hasSubgroups;
    this.subgroupMatrix = acq.subgroupMatrix ?? null;
    const lim = this.device.limits;
    this.maxWorkgroupSize = lim.maxComputeInvocationsPerWorkgroup;
    this.maxWorkgroupsPerDim = lim.maxComputeWorkgroupsPerDimension;
    this.pool = new BufferPool(this.device, {
      maxBufferSize: lim.maxBufferSize,
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
    });
    // a buffer back in the pool comes out as another tensor: its copies describe nothing any more
    this.pool.onGive = (b) => this.copies.invalidate(b);
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

  /** `overBinding`: larger than one storage binding (up to maxBufferSize), bound only through row ranges (Tensor.rowViews). */
  tensor(shape: readonly number[], dtype: DType = 'f32', name = 'tensor', overBinding = false): Tensor {
    this.checkAlive();
    const bytes = Math.max(4, Math.ceil((numel(shape) * BYTES_PER_ELEMENT[dtype]) / 4) * 4);
    return new Tensor(this, this.pool.take(bytes, name, overBinding), shape, dtype, name);
  }

  upload(data: Float32Array | Uint32Array | Int32Array, shape: readonly number[], name = 'upload', overBinding = false): Tensor {
    const dtype: DType = data instanceof Uint32Array ? 'u32' : data instanceof Int32Array ? 'i32' : 'f32';
    if (data.length !== numel(shape)) throw new Error(`upload ${name}: ${data.length} values for shape [${shape}]`);
    const t = this.tensor(shape, dtype, name, overBinding);
    // A pooled buffer may still be read by dispatches encoded but not yet submitted.
    if (this.encoder) this.flush();
    this.device.queue.writeBuffer(t.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return t;
  }

  /** An f16 tensor from its IEEE half bits. */
  uploadF16(bits: Uint16Array, shape: readonly number[], name = 'upload'): Tensor {
    if (bits.length !== numel(shape)) throw new Error(`uploadF16 ${name}: ${bits.length} values for shape [${shape}]`);
    const t = this.tensor(shape, 'f16', name);
    if (this.encoder) this.flush();
    const padded = new Uint16Array(t.byteLength / 2); // writeBuffer wants whole 4-byte words
    padded.set(bits);
    this.device.queue.writeBuffer(t.buffer, 0, padded.buffer, 0, padded.byteLength);
    return t;
  }

  /** Overwrites a tensor's contents from the CPU (queued in order with dispatches). */
  write(t: Tensor, data: Float32Array | Uint32Array | Int32Array, elementOffset = 0): void {
    this.flush(); // earlier dispatches must see the old contents
    this.copies.invalidate(t.buffer);
    this.device.queue.writeBuffer(t.buffer, t.offset + elementOffset * 4, data.buffer, data.byteOffset, data.byteLength);
  }

  zeros(shape: readonly number[], name = 'zeros', dtype: DType = 'f32'): Tensor {
    const t = this.tensor(shape, dtype, name);
    this.clear(t);
    return t;
  }

  clear(t: Tensor): void {
    this.copies.invalidate(t.buffer);
    this.endPass();
    this.getEncoder().clearBuffer(t.buffer, t.offset, t.byteLength);
  }

  copy(src: Tensor, dst: Tensor, srcOffsetElems = 0, dstOffsetElems = 0, elems = src.size): void {
    this.copies.invalidate(dst.buffer);
    this.endPass();
    this.getEncoder().copyBufferToBuffer(src.buffer, src.offset + srcOffsetElems * 4, dst.buffer, dst.offset + dstOffsetElems * 4, elems * 4);
  }

  clone(src: Tensor, name = src.name): Tensor {
    const t = this.tensor(src.shape, src.dtype, name);
    this.copy(src, t);
    return t;
  }

  // ---------------------------------------------------------------- dispatch

  /**
   * The pipeline of a kernel variant with its explicit bind group layout (reflected from the WGSL's
   * declarations: uniform at binding 0 with a dynamic offset into the ring, storage buffers after).
   * The kernel's declared interface is checked against the WGSL here, once per variant.
   */
  private pipelineEntry(kernel: Kernel, params: ShaderParams | undefined): PipelineEntry {
    // Variants per kernel compared field by field: no key string to build and hash per dispatch.
    // A matmul kernel has dozens of variants of 20-odd params, and comparing them per dispatch cost
    // more than the rest of the dispatch (a CPU profile on the H200): frozen params (the matmul's
    // recipes, reused call after call) are found by the object itself.
    const frozen = params !== undefined && Object.isFrozen(params);
    if (frozen) {
      const hit = this.pipelineByParams.get(params);
      if (hit && hit.kernel === kernel) return hit.e;
    }
    let variants = this.pipelines.get(kernel);
    if (!variants) this.pipelines.set(kernel, (variants = []));
    for (const v of variants)
      if (sameParams(v.params, params)) {
        if (frozen) this.pipelineByParams.set(params, { kernel, e: v });
        return v;
      }
    const shader = kernel.file;
    const ps: ShaderParams = { ...(params ?? {}) };
    const key = pipelineKey(shader, ps);
    const code = preprocessWgsl(shader, shaderSources, ps);
    const bindings = reflectBindings(code, shader);
    const iface = checkKernel(kernel, code, shaderSources[shader], bindings, key.slice(shader.length + 1));
    const layout = this.layoutFor(bindings.map((b) => b?.kind));
    const module = this.device.createShaderModule({ code, label: shader });
    const pipeline = this.device.createComputePipeline({
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout.bgl], label: key }),
      compute: { module, entryPoint: 'main' },
      label: key,
    });
    const writeNames = iface.storageNames.filter((n) => (kernel.bindings as Record<string, BindingAccess>)[n].startsWith('write'));
    const e: PipelineEntry = { ...iface, writeNames, params: ps, pipeline, layout, hasUniform: bindings[0]?.kind === 'uniform' };
    variants.push(e);
    if (frozen) this.pipelineByParams.set(params, { kernel, e });
    this.pipelineTotal++;
    return e;
  }

  /** One bind group layout per binding signature, shared by every pipeline with that signature. */
  private layoutFor(bindings: (BindingKind | undefined)[]): LayoutEntry {
    const sig = bindings.map((b) => b ?? '-').join(',');
    let l = this.layouts.get(sig);
    if (!l) {
      const entries: GPUBindGroupLayoutEntry[] = [];
      bindings.forEach((b, i) => {
        if (!b) return;
        const type: GPUBufferBindingType = b === 'uniform' ? 'uniform' : b === 'read' ? 'read-only-storage' : 'storage';
        entries.push({ binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type, hasDynamicOffset: b === 'uniform' } });
      });
      l = { id: this.layouts.size, bgl: this.device.createBindGroupLayout({ entries, label: sig }), bindings };
      this.layouts.set(sig, l);
    }
    return l;
  }

  /** Pipelines built per shader file, most first (for profiling). */
  variantCounts(): Record<string, number> {
    const rows = [...this.pipelines].map(([k, v]) => [k.file, v.length] as const).sort((a, b) => b[1] - a[1]);
    return Object.fromEntries(rows);
  }

  get pipelineCount(): number {
    return this.pipelineTotal;
  }

  private bufferId(b: GPUBuffer): number {
    let id = this.bufferIds.get(b);
    if (id === undefined) this.bufferIds.set(b, (id = this.nextBufferId++));
    return id;
  }

  /** The cache's node for this layout and these buffers (created on the way). */
  private bindGroupNode(e: PipelineEntry, given: Readonly<Record<string, Bindable | undefined>>, label: string): BindGroupTrie {
    const names = e.storageNames;
    let node = trieChild(this.bindGroups, e.layout.id);
    for (let i = 0; i < names.length; i++) {
      const b = given[names[i]];
      if (b === undefined) throw new EngineError('gpu-validation', `${label}: no buffer for binding "${names[i]}" (bound: ${names.join(', ')})`);
      if (b instanceof Tensor) {
        node = trieChild(node, this.bufferId(b.buffer));
        // a range past the start has a level of its own (negative: never a size), a whole buffer none
        if (b.offset) node = trieChild(node, -b.offset);
        node = trieChild(node, b.byteLength);
      } else node = trieChild(trieChild(node, this.bufferId(b)), b.size);
    }
    return node;
  }

  /**
   * Bind groups are cached by layout and (buffer, bound size): pooled buffers come back step after
   * step, so a training loop creates its bind groups in the first step only (creating one costs
   * tens of µs in Dawn, more than the rest of a dispatch). The uniform slot is a dynamic offset.
   */
  private bindGroup(e: PipelineEntry, given: Readonly<Record<string, Bindable | undefined>>, label: string): GPUBindGroup {
    const names = e.storageNames;
    let node = this.bindGroupNode(e, given, label);
    let bg = node.get(TRIE_LEAF) as GPUBindGroup | undefined;
    if (!bg) {
      const entries: GPUBindGroupEntry[] = [];
      let next = 0;
      e.layout.bindings.forEach((kind, binding) => {
        if (!kind) return;
        if (kind === 'uniform') {
          entries.push({ binding, resource: { buffer: this.uniformRing, offset: 0, size: UNIFORM_SLOT } });
          return;
        }
        const b = given[names[next++]]!;
        if (b instanceof Tensor) entries.push({ binding, resource: { buffer: b.buffer, offset: b.offset, size: b.byteLength } });
        else entries.push({ binding, resource: { buffer: b, offset: 0, size: b.size } });
      });
      // Entries of destroyed buffers are never looked up again (ids are per buffer object); the
      // bound keeps their memory small.
      bg = this.device.createBindGroup({ layout: e.layout.bgl, entries, label });
      this.bindGroupCount++;
      this.onBindGroupMiss?.(label);
      if (this.bindGroupsKept >= MAX_BIND_GROUPS) {
        this.bindGroups.clear();
        this.bindGroupsKept = 0;
        node = this.bindGroupNode(e, given, label); // the path walked above hung off the old root
      }
      node.set(TRIE_LEAF, bg);
      this.bindGroupsKept++;
    }
    return bg;
  }

  /** Runs a kernel: uniforms and buffers by the names its declaration (and WGSL) gives them. */
  dispatch<U extends Record<string, UniformType>, B extends Record<string, BindingAccess>>(kernel: Kernel<U, B>, args: DispatchArgs<U, B>): void {
    this.checkAlive();
    const e = this.pipelineEntry(kernel, args.params);
    const label = args.label ?? kernel.file;
    const given = args.bindings as Readonly<Record<string, Bindable | undefined>>;
    let count = 0;
    for (const k in given) if (given[k] !== undefined) count++;
    if (count !== e.storageNames.length) {
      const extra = Object.keys(given).filter((k) => given[k] !== undefined && !e.storageNames.includes(k));
      const missing = e.storageNames.filter((k) => given[k] === undefined);
      throw new EngineError(
        'gpu-validation',
        `${label}: ${kernel.file} binds ${e.storageNames.join(', ')}${extra.length ? `; not bound by this variant: ${extra.join(', ')}` : ''}${missing.length ? `; missing: ${missing.join(', ')}` : ''}`,
      );
    }
    const [x, y = 1, z = 1] = args.workgroups;
    if (x > this.maxWorkgroupsPerDim || y > this.maxWorkgroupsPerDim || z > this.maxWorkgroupsPerDim) {
      throw new EngineError('over-limits', `${label}: ${x}x${y}x${z} workgroups exceed ${this.maxWorkgroupsPerDim} per dimension`);
    }
    let offset = 0;
    if (e.hasUniform) {
      const u = args.uniforms as Readonly<Record<string, number>> | undefined;
      const names = e.uniformNames;
      if (!u) throw new EngineError('gpu-validation', `${label}: ${kernel.file} takes uniforms {${names.join(', ')}} but none were given`);
      if (names.length * 4 > UNIFORM_SLOT) throw new EngineError('gpu-validation', `${label}: ${names.length} uniforms exceed ${UNIFORM_SLOT} bytes`);
      let n = 0;
      for (const _ in u) n++;
      if (n !== names.length)
        throw new EngineError('gpu-validation', `${label}: uniforms {${Object.keys(u).join(', ')}} given, ${kernel.file} takes {${names.join(', ')}}`);
      if (this.uniformUsed + UNIFORM_SLOT > UNIFORM_RING_BYTES) this.flush();
      offset = this.uniformUsed;
      const dv = this.uniformView;
      const types = e.uniformTypes;
      for (let i = 0; i < names.length; i++) {
        const v = u[names[i]];
        if (v === undefined)
          throw new EngineError('gpu-validation', `${label}: uniform "${names[i]}" of ${kernel.file} not given (given: ${Object.keys(u).join(', ')})`);
        const t = types[i];
        if (t === 'f32') dv.setFloat32(offset + i * 4, v, true);
        else if (t === 'i32') dv.setInt32(offset + i * 4, v, true);
        else if (v >>> 0 === v) dv.setUint32(offset + i * 4, v, true);
        else throw new EngineError('gpu-validation', `${label}: uniform "${names[i]}" of ${kernel.file} is u32 but got ${v}`);
      }
      this.uniformUsed += UNIFORM_SLOT;
    } else if (args.uniforms) {
      throw new EngineError('gpu-validation', `${label}: uniforms given but ${kernel.file} declares none at binding 0`);
    }
    const bindGroup = this.bindGroup(e, given, label);
    if (this.copies.size) {
      // what this dispatch may write no longer matches its copies (an empty grid writes nothing, but dropping is always safe)
      for (const n of e.writeNames) {
        const b = given[n]!;
        this.copies.invalidate(b instanceof Tensor ? b.buffer : b);
      }
    }
    if (x === 0 || y === 0 || z === 0) return;
    // Sampled dispatches get a pass of their own with timestamps; the others share one pass as
    // without the timer (a pass per dispatch made a profiled 1B TesseraQ run several times slower).
    const writes = this.timer ? this.timer.passWrites(label, kernel.shader, boundBytes(given)) : null;
    const pass = writes ? this.timedPass(writes) : this.getPass();
    if (pass !== this.boundPass || e.pipeline !== this.boundPipeline) {
      pass.setPipeline(e.pipeline);
      this.boundPipeline = e.pipeline;
      this.boundPass = pass;
    }
    if (e.hasUniform) {
      this.dynamicOffset[0] = offset;
      pass.setBindGroup(0, bindGroup, this.dynamicOffset, 0, 1);
    } else {
      pass.setBindGroup(0, bindGroup);
    }
    pass.dispatchWorkgroups(x, y, z);
    if (writes) this.endPass();
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
    if (!this.pass) {
      this.pass = this.getEncoder().beginComputePass();
      this.passCount++;
    }
    return this.pass;
  }

  private timedPass(writes: GPUComputePassTimestampWrites): GPUComputePassEncoder {
    this.endPass();
    this.pass = this.getEncoder().beginComputePass({ timestampWrites: writes });
    this.passCount++;
    return this.pass;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
      this.boundPass = null;
      this.boundPipeline = null;
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
    this.copies.clear();
    this.pool.trim();
    this.uniformRing.destroy();
    this.device.destroy();
  }
}

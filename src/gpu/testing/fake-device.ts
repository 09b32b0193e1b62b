// A stand-in GPUDevice for unit tests in Node (no WebGPU): it compiles nothing and runs nothing,
// but records what the runtime asks of it (pipelines, bind groups with their entries, uniform
// bytes written, dispatches), so the runtime's caches and interface checks can be tested.
import type { AcquiredDevice } from '../device';
import { Gpu } from '../gpu';

export interface FakeCalls {
  shaderModules: string[];
  pipelines: string[];
  bindGroups: { label?: string; entries: GPUBindGroupEntry[] }[];
  /** Bytes queued by writeBuffer, per buffer label. */
  writes: { label: string; data: ArrayBuffer }[];
  dispatches: { pipeline: string; offsets: number[]; workgroups: [number, number, number] }[];
  /** What the next mapped reads (Gpu.readBuffer) return, in order (zeros when empty). */
  reads: ArrayBuffer[];
  /** Compute passes begun, in order: 'timed' with timestamp writes, 'plain' without. */
  passes: ('timed' | 'plain')[];
}

// The WebGPU flag namespaces Node lacks (the values of the spec).
const g = globalThis as Record<string, unknown>;
g.GPUBufferUsage ??= {
  MAP_READ: 1,
  MAP_WRITE: 2,
  COPY_SRC: 4,
  COPY_DST: 8,
  INDEX: 16,
  VERTEX: 32,
  UNIFORM: 64,
  STORAGE: 128,
  INDIRECT: 256,
  QUERY_RESOLVE: 512,
};
g.GPUShaderStage ??= { VERTEX: 1, FRAGMENT: 2, COMPUTE: 4 };
g.GPUMapMode ??= { READ: 1, WRITE: 2 };

export function fakeDevice(limits: Partial<Record<string, number>> = {}): { device: GPUDevice; calls: FakeCalls } {
  const calls: FakeCalls = { shaderModules: [], pipelines: [], bindGroups: [], writes: [], dispatches: [], reads: [], passes: [] };
  const lim = {
    maxBufferSize: 1 << 30,
    maxStorageBufferBindingSize: 1 << 30,
    maxComputeWorkgroupStorageSize: 32768,
    maxComputeInvocationsPerWorkgroup: 256,
    maxComputeWorkgroupsPerDimension: 65535,
    ...limits,
  };
  const device = {
    limits: lim,
    lost: new Promise(() => {}),
    addEventListener() {},
    pushErrorScope() {},
    popErrorScope: async () => null,
    createBuffer: (d: GPUBufferDescriptor) => {
      let mapped: ArrayBuffer | null = null;
      return {
        size: d.size,
        usage: d.usage,
        label: d.label ?? '',
        destroy() {},
        mapAsync: async () => void (mapped = calls.reads.shift() ?? new ArrayBuffer(d.size)),
        getMappedRange: () => mapped!,
        unmap() {},
      };
    },
    createShaderModule: (d: GPUShaderModuleDescriptor) => {
      calls.shaderModules.push(d.code);
      return { label: d.label };
    },
    createQuerySet: () => ({ destroy() {} }),
    createBindGroupLayout: (d: GPUBindGroupLayoutDescriptor) => ({ label: d.label, entries: d.entries }),
    createPipelineLayout: (d: GPUPipelineLayoutDescriptor) => ({ label: d.label }),
    createComputePipeline: (d: GPUComputePipelineDescriptor) => {
      calls.pipelines.push(d.label ?? '');
      return { label: d.label };
    },
    createBindGroup: (d: GPUBindGroupDescriptor) => {
      calls.bindGroups.push({ label: d.label, entries: [...d.entries] });
      return { label: d.label };
    },
    createCommandEncoder: () => {
      let pipeline = '';
      let offsets: number[] = [];
      const pass = {
        setPipeline: (p: { label: string }) => (pipeline = p.label),
        setBindGroup: (_i: number, _bg: unknown, dyn?: Uint32Array, start = 0, len = 0) => (offsets = dyn ? [...dyn.subarray(start, start + len)] : []),
        dispatchWorkgroups: (x: number, y = 1, z = 1) => calls.dispatches.push({ pipeline, offsets, workgroups: [x, y, z] }),
        end() {},
      };
      const beginComputePass = (d?: GPUComputePassDescriptor) => (calls.passes.push(d?.timestampWrites ? 'timed' : 'plain'), pass);
      return { beginComputePass, clearBuffer() {}, copyBufferToBuffer() {}, resolveQuerySet() {}, finish: () => ({}) };
    },
    queue: {
      writeBuffer: (b: { label: string }, _offset: number, data: ArrayBuffer | ArrayBufferView, dataOffset = 0, size?: number) => {
        const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        calls.writes.push({ label: b.label, data: bytes.slice(dataOffset, size === undefined ? undefined : dataOffset + size).buffer });
      },
      submit() {},
      onSubmittedWorkDone: async () => {},
    },
    destroy() {},
  };
  return { device: device as unknown as GPUDevice, calls };
}

/**
 * A Gpu runtime over a fake device; `half` pretends it offers shader-f16 and 16x16x16 f16 subgroup
 * matrices, `profile` timestamp queries with the runtime's kernel timer on (timings read as 0).
 */
export function fakeGpu(limits?: Partial<Record<string, number>>, half = false, profile = false): { gpu: Gpu; calls: FakeCalls } {
  const { device, calls } = fakeDevice(limits);
  const acq = {
    adapter: {} as GPUAdapter,
    device,
    report: { vendor: 'fake', architecture: '', device: '', description: 'fake device', features: [], limits: {}, isFallbackAdapter: false },
    hasF16: half,
    hasSubgroups: half,
    hasTimestamps: profile,
    subgroupMatrix: half ? { M: 16, N: 16, K: 16, subgroupSize: 32 } : null,
  } satisfies AcquiredDevice;
  return { gpu: new Gpu(acq, { profile }), calls };
}

// The engine's host in Node: a WebGPU device from Dawn (npm package `webgpu`) wrapped in a Gpu,
// exactly as the browser hosts do with navigator.gpu.
import { create, globals } from 'webgpu';
import { acquireDevice } from '../gpu/device';
import { Gpu } from '../gpu/gpu';

export interface NodeGpuOptions {
  /** Per-dispatch timestamp timing (when the adapter offers 'timestamp-query'). */
  profile?: boolean;
  /** Dawn toggles to switch on / off, e.g. disable: ['disable_robustness']. */
  enableToggles?: string[];
  disableToggles?: string[];
  /** Dawn backend: 'vulkan', 'null', ... (default: Dawn's choice). */
  backend?: string;
}

// Dawn lives as long as its GPU object is referenced; closeNodeGpu() drops it so Node can exit.
let dawnGpu: GPU | null = null;
const opened: Gpu[] = [];

export async function createNodeGpu(opts: NodeGpuOptions = {}): Promise<Gpu> {
  // GPUBufferUsage, GPUMapMode, ... as the engine expects them in a browser.
  Object.assign(globalThis, globals);
  const enable = [...(opts.enableToggles ?? [])];
  // Full-resolution timestamps for profiling (Dawn rounds them to 100 µs-ish steps otherwise).
  const disable = [...(opts.disableToggles ?? []), ...(opts.profile ? ['timestamp_quantization'] : [])];
  const flags: string[] = [];
  if (enable.length) flags.push(`enable-dawn-features=${enable.join(',')}`);
  if (disable.length) flags.push(`disable-dawn-features=${disable.join(',')}`);
  if (opts.backend) flags.push(`backend=${opts.backend}`);
  dawnGpu = create(flags);
  const gpu = new Gpu(await acquireDevice(dawnGpu), { profile: opts.profile });
  opened.push(gpu);
  return gpu;
}

/** Destroys the devices opened here and releases Dawn. */
export function closeNodeGpu(): void {
  for (const g of opened.splice(0)) g.destroy();
  dawnGpu = null;
}

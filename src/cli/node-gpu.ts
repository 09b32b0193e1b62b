// The engine's host in Node: a WebGPU device from Dawn (npm package `webgpu`) wrapped in a Gpu,
// exactly as the browser hosts do with navigator.gpu. Without a usable GPU the error says what
// Dawn needs (a Vulkan loader and driver on Linux), not what a browser would.
import { acquireDevice, type AcquiredDevice } from '../gpu/device';
import { WebGpuUnavailableError } from '../gpu/errors';
import { Gpu } from '../gpu/gpu';

/** What to do when Dawn offers no GPU (the CLI's counterpart of the browser advice). */
export const DAWN_WEBGPU_ADVICE =
  `The CLI gets WebGPU from Dawn (the npm package "webgpu"), which drives the GPU through Vulkan on Linux ` +
  `(Metal on macOS, Direct3D 12 on Windows). On Linux install the Vulkan loader and your GPU's Vulkan driver: ` +
  `NVIDIA's driver package includes it (check that its Vulkan ICD, nvidia_icd.json, is installed); ` +
  `for AMD and Intel, Mesa's: "sudo apt-get install libvulkan1 mesa-vulkan-drivers" (Debian/Ubuntu). ` +
  `"vulkaninfo --summary" (package vulkan-tools) should then list the GPU. In a container the GPU must be passed in ` +
  `with its graphics libraries (NVIDIA: NVIDIA_DRIVER_CAPABILITIES=compute,graphics,utility).`;

export interface NodeGpuOptions {
  /** Per-dispatch timestamp timing (when the adapter offers 'timestamp-query'). */
  profile?: boolean;
  /** Dawn toggles to switch on / off, e.g. disable: ['disable_robustness']. */
  enableToggles?: string[];
  disableToggles?: string[];
  /** Dawn backend: 'vulkan', 'null', ... (default: Dawn's choice). */
  backend?: string;
  /**
   * Half precision and tensor cores (default true): creates Dawn with the toggles that let it offer
   * shader-f16 on NVIDIA's Vulkan driver and the experimental subgroup matrices, and asks for both
   * when offered. false: neither toggle nor feature, every kernel f32 (the CLI's --no-f16).
   */
  half?: boolean;
}

/** Dawn keeps f16 off on NVIDIA's Vulkan driver unless asked; subgroup matrices sit behind allow_unsafe_apis. */
export const HALF_TOGGLES = ['allow_unsafe_apis', 'vulkan_enable_f16_on_nvidia'];

// Dawn lives as long as its GPU object is referenced; closeNodeGpu() drops it so Node can exit.
let dawnGpu: GPU | null = null;
const opened: Gpu[] = [];

export async function createNodeGpu(opts: NodeGpuOptions = {}): Promise<Gpu> {
  let dawn: typeof import('webgpu');
  try {
    dawn = await import('webgpu');
  } catch (e) {
    throw new WebGpuUnavailableError(`the npm package "webgpu" (Dawn) did not load: ${e instanceof Error ? e.message : String(e)}`, DAWN_WEBGPU_ADVICE);
  }
  const { create, globals } = dawn;
  // GPUBufferUsage, GPUMapMode, ... as the engine expects them in a browser.
  Object.assign(globalThis, globals);
  const half = opts.half ?? true;
  const enable = [...(half ? HALF_TOGGLES : []), ...(opts.enableToggles ?? [])];
  // Full-resolution timestamps for profiling (Dawn rounds them to 100 µs-ish steps otherwise).
  const disable = [...(opts.disableToggles ?? []), ...(opts.profile ? ['timestamp_quantization'] : [])];
  const flags: string[] = [];
  if (enable.length) flags.push(`enable-dawn-features=${enable.join(',')}`);
  if (disable.length) flags.push(`disable-dawn-features=${disable.join(',')}`);
  if (opts.backend) flags.push(`backend=${opts.backend}`);
  dawnGpu = create(flags);
  let device: AcquiredDevice;
  try {
    device = await acquireDevice(dawnGpu, 'high-performance', { half });
  } catch (e) {
    throw e instanceof WebGpuUnavailableError ? new WebGpuUnavailableError(e.detail, DAWN_WEBGPU_ADVICE) : e;
  }
  const gpu = new Gpu(device, { profile: opts.profile });
  opened.push(gpu);
  return gpu;
}

/** Destroys the devices opened here and releases Dawn. */
export function closeNodeGpu(): void {
  for (const g of opened.splice(0)) g.destroy();
  dawnGpu = null;
}

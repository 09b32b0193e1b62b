// The engine's host in Node: a WebGPU device from Dawn (npm package `webgpu`) wrapped in a Gpu,
// exactly as the browser hosts do with navigator.gpu. Without a usable GPU the error says what
// Dawn needs (a Vulkan loader and driver on Linux), not what a browser would.
import { acquireDevice, type AcquiredDevice } from '../gpu/device';
import { WebGpuUnavailableError } from '../gpu/errors';
import { Gpu } from '../gpu/gpu';
import { HALF_MIN_FLOPS, kernelPaths, setHalfLinears } from '../ops/precision';

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

/** The CLI's flag: `--no-f16` (or `--f16 0`) for the f32-only engine, `--f16 all` for f16 in every Linear matmul. */
export const NO_F16_NOTE =
  '[--no-f16 | --f16 all]   every kernel f32 (no f16 / tensor-core toggles or features), or every Linear matmul on the tensor cores however small (default: products of 2^26 FLOP and more, where offered)';

/** The CLI's flag for Dawn's own toggles (not what a browser runs: for measuring what they cost). */
export const DAWN_TOGGLES_NOTE =
  "[--dawnToggles a,b]   switch on Dawn toggles by name, e.g. skip_validation,disable_robustness (Dawn's checks off: what they cost, not what browsers run)";

/** `--dawnToggles a,b` as a list of toggle names (Dawn ignores names it does not know, so they are checked for shape only). */
export function dawnToggles(flag: string | undefined): string[] {
  if (flag === undefined) return [];
  const names = flag.split(',').map((s) => s.trim());
  const bad = names.find((n) => !/^[a-z0-9_]+$/.test(n));
  if (bad !== undefined) throw new Error(`--dawnToggles takes comma-separated Dawn toggle names such as skip_validation, not "${bad}"`);
  return names;
}

export type HalfSetting = 'off' | 'default' | 'all';

/** `--f16` / `--no-f16` as read by parseArgs (flag "f16": "0", "all" or absent). */
export function halfSetting(flag: string | undefined): HalfSetting {
  if (flag === undefined || flag === '1') return 'default';
  if (flag === '0') return 'off';
  if (flag === 'all') return 'all';
  throw new Error(`--f16 takes 0, 1 or all, not "${flag}"`);
}

/** The engine's GPU for quantize / eval / bench: half-precision Linear matmuls where the device has tensor cores, unless off. */
export async function createEngineGpu(half: HalfSetting, opts: NodeGpuOptions = {}): Promise<Gpu> {
  const gpu = await createNodeGpu({ ...opts, half: half !== 'off' });
  setHalfLinears(gpu, half !== 'off', half === 'all' ? 0 : HALF_MIN_FLOPS);
  return gpu;
}

/** One line per kernel family: the path it takes on this device. */
export function describeKernelPaths(gpu: Gpu): string {
  const offered = [gpu.hasF16 ? 'shader-f16' : '', gpu.subgroupMatrix ? 'subgroup matrices' : ''].filter(Boolean).join(', ') || 'no f16 features';
  return `kernel paths (${offered}): ${Object.entries(kernelPaths(gpu))
    .map(([k, v]) => `${k} ${v}`)
    .join('; ')}`;
}

// Adapter and device acquisition: asks for the adapter's maxima where our workloads need them
// (large buffers and bindings), and the optional features we can use.
import { WebGpuUnavailableError } from './errors';

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  features: string[];
  limits: Record<string, number>;
  isFallbackAdapter: boolean;
  /** The path each kernel family takes (filled by the host that applies the precision policy). */
  kernelPaths?: Record<string, string>;
}

export interface AcquiredDevice {
  adapter: GPUAdapter;
  device: GPUDevice;
  report: AdapterReport;
  hasF16: boolean;
  hasSubgroups: boolean;
  hasTimestamps: boolean;
  /** The f16 x f16 -> f32 subgroup-matrix (tensor core) configuration the kernels use, when offered. */
  subgroupMatrix: SubgroupMatrixShape | null;
}

/** A subgroup-matrix configuration (Dawn's chromium-experimental-subgroup-matrix) and the subgroup size it runs at. */
export interface SubgroupMatrixShape {
  M: number;
  N: number;
  K: number;
  subgroupSize: number;
}

/** Dawn's experimental feature for tensor cores (Vulkan cooperative matrices, Metal simdgroup matrices). */
export const SUBGROUP_MATRIX_FEATURE = 'chromium-experimental-subgroup-matrix' as GPUFeatureName;

interface SubgroupMatrixConfig {
  componentType: string;
  resultComponentType: string;
  M: number;
  N: number;
  K: number;
}

/**
 * The 16x16x16 f16 -> f32 configuration when the adapter lists it and runs one fixed subgroup size
 * (shaders/matmul-subgroup.wgsl lays subgroups out by that size); null otherwise.
 */
export function pickSubgroupMatrix(info: GPUAdapterInfo | undefined): SubgroupMatrixShape | null {
  const i = info as unknown as { subgroupMatrixConfigs?: readonly SubgroupMatrixConfig[]; subgroupMinSize?: number; subgroupMaxSize?: number } | undefined;
  const configs = i?.subgroupMatrixConfigs ?? [];
  const c = configs.find((x) => x.componentType === 'f16' && x.resultComponentType === 'f32' && x.M === 16 && x.N === 16 && x.K === 16);
  if (!c || !i?.subgroupMaxSize || i.subgroupMinSize !== i.subgroupMaxSize) return null;
  return { M: c.M, N: c.N, K: c.K, subgroupSize: i.subgroupMaxSize };
}

const RAISED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

const OPTIONAL_FEATURES: GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'];

export interface AcquireOptions {
  /** Ask for shader-f16 and subgroup matrices when offered (default true); false keeps every kernel f32. */
  half?: boolean;
}

export function limitsToRecord(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  // GPUSupportedLimits exposes its values as prototype getters, so walk the prototype.
  for (const key in limits) {
    const v = (limits as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number') out[key] = v;
  }
  return out;
}

export async function acquireDevice(
  gpu: GPU | undefined = (globalThis.navigator as Navigator | undefined)?.gpu,
  powerPreference: GPUPowerPreference = 'high-performance',
  opts: AcquireOptions = {},
): Promise<AcquiredDevice> {
  const half = opts.half ?? true;
  if (!gpu) throw new WebGpuUnavailableError('navigator.gpu is missing');
  const adapter = await gpu.requestAdapter({ powerPreference });
  if (!adapter) throw new WebGpuUnavailableError('no GPU adapter was offered');
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  // Subgroup matrices need subgroups and f16 here (the kernels are f16 x f16 -> f32).
  const matrix =
    half && adapter.features.has(SUBGROUP_MATRIX_FEATURE) && adapter.features.has('shader-f16') && adapter.features.has('subgroups')
      ? pickSubgroupMatrix(info)
      : null;
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f) && (half || f !== 'shader-f16'));
  if (matrix) requiredFeatures.push(SUBGROUP_MATRIX_FEATURE);
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const report: AdapterReport = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    features: [...device.features].sort(),
    limits: limitsToRecord(device.limits),
    isFallbackAdapter: Boolean((info as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter),
  };
  return {
    adapter,
    device,
    report,
    hasF16: device.features.has('shader-f16'),
    hasSubgroups: device.features.has('subgroups'),
    hasTimestamps: device.features.has('timestamp-query'),
    subgroupMatrix: matrix && device.features.has(SUBGROUP_MATRIX_FEATURE) ? matrix : null,
  };
}

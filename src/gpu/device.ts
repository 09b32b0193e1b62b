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
}

export interface AcquiredDevice {
  adapter: GPUAdapter;
  device: GPUDevice;
  report: AdapterReport;
  hasF16: boolean;
  hasSubgroups: boolean;
  hasTimestamps: boolean;
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
): Promise<AcquiredDevice> {
  if (!gpu) throw new WebGpuUnavailableError('navigator.gpu is missing');
  const adapter = await gpu.requestAdapter({ powerPreference });
  if (!adapter) throw new WebGpuUnavailableError('no GPU adapter was offered');
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const info = adapter.info ?? ({} as GPUAdapterInfo);
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
  };
}

// Runs the GPU test modules (src/**/*.gpu-test.ts) inside the browser on the real WebGPU device.
// Playwright calls window.gpuHarness.runModule(path) and gets one result per case.
import { acquireDevice } from '../src/gpu/device';
import { Gpu } from '../src/gpu/gpu';

type Case = (gpu: Gpu) => Promise<void>;
const modules = import.meta.glob('../src/**/*.gpu-test.ts') as Record<string, () => Promise<{ cases: Record<string, Case> }>>;

export interface CaseResult {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}

let gpuPromise: Promise<Gpu> | null = null;
function getGpu(): Promise<Gpu> {
  gpuPromise ??= acquireDevice().then((acq) => new Gpu(acq));
  return gpuPromise;
}

async function runModule(path: string, only?: string): Promise<CaseResult[]> {
  const key = Object.keys(modules).find((k) => k.endsWith(path));
  if (!key) throw new Error(`no GPU test module ${path}; have ${Object.keys(modules).join(', ')}`);
  const { cases } = await modules[key]();
  const gpu = await getGpu();
  const results: CaseResult[] = [];
  for (const [name, fn] of Object.entries(cases)) {
    if (only && name !== only) continue;
    const t0 = performance.now();
    try {
      await fn(gpu);
      await gpu.sync();
      if (gpu.uncapturedErrors.length) throw new Error(`WebGPU errors: ${gpu.uncapturedErrors.splice(0).join(' | ')}`);
      results.push({ name, ok: true, ms: performance.now() - t0 });
    } catch (e) {
      results.push({ name, ok: false, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e), ms: performance.now() - t0 });
    }
  }
  return results;
}

const api = { runModule, modules: () => Object.keys(modules) };
(window as unknown as { gpuHarness: typeof api }).gpuHarness = api;
document.getElementById('log')!.textContent = 'ready';

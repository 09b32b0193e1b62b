// The engine worker: owns the GPU device and (later) the loaded model, runs every long job, and
// answers the UI through comlink. A dedicated worker keeps running while the tab is in the
// background, so a run continues when the person switches tabs.
import * as Comlink from 'comlink';
import { acquireDevice, type AdapterReport } from '../gpu/device';
import { describeError } from '../gpu/errors';
import { Gpu } from '../gpu/gpu';
import type { EngineApi } from './protocol';

let gpuPromise: Promise<Gpu> | null = null;

function getGpu(): Promise<Gpu> {
  gpuPromise ??= acquireDevice().then((acq) => new Gpu(acq));
  // A failed acquisition is not cached: the person may fix a flag and retry without reloading.
  gpuPromise.catch(() => {
    gpuPromise = null;
  });
  return gpuPromise;
}

/** Runs fn and rethrows any error as a plain {kind, message}, which comlink passes through as is. */
async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw describeError(e);
  }
}

const api: EngineApi = {
  init: (): Promise<AdapterReport> => guarded(async () => (await getGpu()).report),
};

Comlink.expose(api);

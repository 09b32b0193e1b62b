// The one engine worker of this tab and its comlink proxy. Everything slow (GPU, parsing,
// tokenizing) is a call on this proxy, so the main thread only renders.
import * as Comlink from 'comlink';
import type { EngineApi } from '../worker/protocol';

let remote: Comlink.Remote<EngineApi> | null = null;
const crashListeners = new Set<(message: string) => void>();

export function engine(): Comlink.Remote<EngineApi> {
  if (!remote) {
    const worker = new Worker(new URL('../worker/engine.worker.ts', import.meta.url), {
      type: 'module',
      name: 'engine',
    });
    // A worker that fails to load or throws at top level never answers; say so instead of waiting.
    worker.addEventListener('error', (ev) => {
      const message = ev.message || 'the engine worker failed to start';
      for (const cb of crashListeners) cb(message);
    });
    remote = Comlink.wrap<EngineApi>(worker);
  }
  return remote;
}

export function onEngineCrash(cb: (message: string) => void): () => void {
  crashListeners.add(cb);
  return () => crashListeners.delete(cb);
}

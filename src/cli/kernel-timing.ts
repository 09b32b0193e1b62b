// Timing of one GPU operation on the Node host: warm-up, then batches of many dispatches in one
// submission; per batch the GPU time per call from timestamp queries (when offered) and the wall
// time from submit to onSubmittedWorkDone; the medians of the batches.
import type { Gpu } from '../gpu/gpu';

const BATCHES = 7;
const BATCH_TARGET_MS = 25;
const MAX_REPS = 1500; // stays under the timer's 2047 timed passes per submission
const MAX_PASSES = 2000; // the same for operations of several dispatches (each one a timed pass)

export interface Timing {
  gpuMs: number | null; // per call (all its dispatches), from timestamps
  wallMs: number; // per call, submit to done / reps
  reps: number;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** warmupMs: also run the operation this long before calibrating (clocks). */
export async function measure(gpu: Gpu, run: () => void, warmupMs = 0): Promise<Timing> {
  const before = gpu.dispatchCount;
  run();
  const passes = Math.max(1, gpu.dispatchCount - before);
  await gpu.sync(); // compiles the pipeline
  for (const end = performance.now() + warmupMs; performance.now() < end;) {
    for (let i = 0; i < 8; i++) run();
    await gpu.sync();
  }
  // calibrate: dispatches per batch so a batch takes ~BATCH_TARGET_MS
  let t0 = performance.now();
  for (let i = 0; i < 3; i++) run();
  await gpu.sync();
  const per = Math.max((performance.now() - t0) / 3, 1e-3);
  const reps = Math.max(3, Math.min(MAX_REPS, Math.floor(MAX_PASSES / passes), Math.ceil(BATCH_TARGET_MS / per)));
  const gpuTimes: number[] = [];
  const wallTimes: number[] = [];
  for (let bi = 0; bi < BATCHES + 1; bi++) {
    gpu.timer?.reset();
    for (let i = 0; i < reps; i++) run(); // encoded only
    t0 = performance.now();
    gpu.flush();
    await gpu.device.queue.onSubmittedWorkDone();
    const wall = (performance.now() - t0) / reps;
    await gpu.sync(); // collects the timestamps
    if (bi === 0) continue; // one more warm-up batch (clocks, caches)
    wallTimes.push(wall);
    if (gpu.timer) {
      let ns = 0,
        count = 0;
      for (const v of gpu.timer.totals.values()) {
        ns += v.ns;
        count += v.count;
      }
      if (count) gpuTimes.push(ns / reps / 1e6);
    }
  }
  return { gpuMs: gpuTimes.length ? median(gpuTimes) : null, wallMs: median(wallTimes), reps };
}

/** Deterministic operands in [-1, 1) (an LCG), the same on every host. */
export function lcgFill(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

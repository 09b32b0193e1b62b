// A run survives a lost GPU device: destroying the device after the first block makes the run
// acquire a new device and resume from the checkpoint, and the result equals an uninterrupted run's
// bit for bit. A resumed run (as after a reload) gives the same result too. Every resumable
// method that checkpoints per block is here (GPTQ's act-order g_idx included).
import type { Gpu as GpuT } from '../gpu/gpu';
import { Gpu } from '../gpu/gpu';
import { acquireDevice } from '../gpu/device';
import { randomModel } from '../formats/random-model';
import { runQuantization, runWithRecovery } from './run';
import type { RunConfig, RunEvent } from '../core/run-types';
import { DEFAULT_CONFIG } from '../methods/registry';
import { splitText } from './text-split';
import { MemoryCheckpointStore } from './checkpoint-store';
import { detailsDigest } from './testing/details-digest';
import type { QuantizedModel } from '../quant/quantized-model';

const TEXT = Array.from({ length: 300 }, (_, i) => `Line ${i}: a bird sang ${i % 5} songs.\n\n`).join('');

function sameModel(a: QuantizedModel, b: QuantizedModel, what: string): void {
  if (a.linears.size !== b.linears.size) throw new Error(`${what}: ${a.linears.size} vs ${b.linears.size} layers`);
  const same = (x: ArrayLike<number>, y: ArrayLike<number>) => x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]));
  for (const [n, la] of a.linears) {
    const lb = b.linears.get(n);
    if (!lb || !same(la.codes, lb.codes) || !same(la.scales, lb.scales) || !same(la.zeros, lb.zeros) || !same(la.gIdx ?? [], lb.gIdx ?? []))
      throw new Error(`${what}: ${n} differs`);
  }
  for (const [n, t] of a.overrides) if (!same(t, b.overrides.get(n) ?? [])) throw new Error(`${what}: override ${n} differs`);
}

async function freshGpu(): Promise<GpuT> {
  return new Gpu(await acquireDevice());
}

/** `gpu`: the harness's device, for the uninterrupted reference run (its pipelines are compiled
 * already; every fresh device compiles them again, which is slow on SwiftShader). */
async function check(gpu: GpuT, method: RunConfig['method'], patch: Partial<RunConfig> = {}) {
  const model = randomModel('tiny-llama', 6);
  const config: RunConfig = {
    ...DEFAULT_CONFIG,
    model: model.source,
    method,
    bits: 3,
    groupSize: 16,
    calibSamples: 4,
    seqLen: 16,
    evalWindows: 2,
    steps: 3,
    tqIters: 2,
    seed: 9,
    ...patch,
  };
  const split = splitText(TEXT, 'test text');
  const uninterrupted = await runQuantization({ gpu, model, split, config });
  const reference = uninterrupted.quantized!;

  // 1. Lost device after block 0: recovery on a new device from the checkpoint.
  const store = new MemoryCheckpointStore();
  const gpu1 = await freshGpu();
  const logs: string[] = [];
  let destroyed = false;
  const onEvent = (e: RunEvent) => {
    if (e.type === 'log') logs.push(e.message);
    // TesseraQ and GPTQ report progress within a block (rounds, sets): their block-0 log marks its end
    const withinBlock = method === 'tesseraq' || method.endsWith('gptq');
    // TEQ's block loss counts steps (config.steps a block), the others blocks; progress events are
    // throttled, so the first one at or past the end of block 0 marks it.
    const perBlock = method === 'teq' && config.teqLoss === 'block' ? config.steps : 1;
    const blockZeroDone =
      (e.type === 'progress' && e.phase === method && !withinBlock && e.done >= perBlock) || (e.type === 'log' && /^(TesseraQ|GPTQ) block 0/.test(e.message));
    if (!destroyed && blockZeroDone) {
      destroyed = true;
      queueMicrotask(() => gpu1.device.destroy());
    }
  };
  const out = await runWithRecovery({ gpu: gpu1, model, split, config, onEvent, checkpoints: store, acquireGpu: freshGpu });
  if (!destroyed) throw new Error(`${method}: the device was never destroyed`);
  if (out.gpu === gpu1) throw new Error(`${method}: no new device was acquired`);
  if (!logs.some((l) => /lost/i.test(l)) || !logs.some((l) => /Resuming after block 0/.test(l)))
    throw new Error(`${method}: the user was not told: ${logs.join(' | ')}`);
  sameModel(reference, out.quantized!, `${method} after a lost device`);
  const [got, want] = [detailsDigest(out.result.details), detailsDigest(uninterrupted.result.details)];
  if (got !== want) throw new Error(`${method}: details ${got} after a lost device, ${want} uninterrupted`);

  // 2. Resume from a stored checkpoint (as after a reload).
  const store2 = new MemoryCheckpointStore();
  const gpu2 = out.gpu;
  const partial = await runQuantization({ gpu: gpu2, model, split, config, checkpoints: store2, runId: 'r1' });
  const cp = await store2.load('r1');
  if (!cp || cp.completedBlocks !== model.weights.config.layers) throw new Error(`${method}: no checkpoint after the last block`);
  // as a checkpoint saved before details were kept (this one's are the whole run's)
  const first = { ...cp, completedBlocks: 1, linears: cp.linears.filter((l) => l.name.includes('layers.0.')), details: undefined };
  const resumed = await runQuantization({ gpu: gpu2, model, split, config, resume: first, runId: 'r1' });
  sameModel(partial.quantized!, resumed.quantized!, `${method} resumed after block 0`);
  gpu2.destroy();
}

export const cases: Record<string, (gpu: GpuT) => Promise<void>> = {
  async 'AWQ: lost device mid-run, resume, same result'(gpu) {
    await check(gpu, 'awq');
  },
  async 'TesseraQ: lost device mid-run, resume, same result'(gpu) {
    await check(gpu, 'tesseraq');
  },
  async 'TEQ (block loss): lost device mid-run, resume, same result'(gpu) {
    await check(gpu, 'teq', { teqLoss: 'block' });
  },
  async 'GPTQ (act-order): lost device mid-run, resume, same result'(gpu) {
    await check(gpu, 'gptq', { gptqActOrder: true });
  },
  async 'AWQ then GPTQ: lost device mid-run, resume, same result'(gpu) {
    await check(gpu, 'awq+gptq');
  },
  async 'TEQ (block loss) then GPTQ: lost device mid-run, resume, same result'(gpu) {
    await check(gpu, 'teq+gptq', { teqLoss: 'block' });
  },
};

// Checkpoints inside a long block: a run cancelled right after an in-block checkpoint (TesseraQ
// after a hardening round, TEQ's LM training after a step, TEQ then TesseraQ in either phase) and
// resumed from it gives the codes, scales, zero points, transformed tensors and perplexity of an
// uninterrupted run with the same seed, bit for bit.
import type { Gpu } from '../gpu/gpu';
import { detailsDigest } from './testing/details-digest';
import { randomModel } from '../formats/random-model';
import { runQuantization } from './run';
import type { RunConfig, RunEvent } from '../core/run-types';
import { DEFAULT_CONFIG } from '../methods/registry';
import { splitText } from './text-split';
import { MemoryCheckpointStore } from './checkpoint-store';
import type { RunCheckpoint } from './checkpoint';
import type { QuantizedModel } from '../quant/quantized-model';

const TEXT = Array.from({ length: 300 }, (_, i) => `Line ${i}: a fox ran ${i % 6} miles.\n\n`).join('');

function sameModel(a: QuantizedModel, b: QuantizedModel, what: string): void {
  const same = (x: ArrayLike<number>, y: ArrayLike<number>) => x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]));
  if (a.linears.size !== b.linears.size) throw new Error(`${what}: ${a.linears.size} vs ${b.linears.size} layers`);
  for (const [n, la] of a.linears) {
    const lb = b.linears.get(n);
    if (!lb || !same(la.codes, lb.codes) || !same(la.scales, lb.scales) || !same(la.zeros, lb.zeros)) throw new Error(`${what}: ${n} differs`);
  }
  if (a.overrides.size !== b.overrides.size) throw new Error(`${what}: ${a.overrides.size} vs ${b.overrides.size} overrides`);
  for (const [n, t] of a.overrides) if (!same(t, b.overrides.get(n) ?? [])) throw new Error(`${what}: override ${n} differs`);
}

/** A store that cancels the run once it has saved a checkpoint matching `stopAt`. */
class CancellingStore extends MemoryCheckpointStore {
  readonly controller = new AbortController();
  constructor(private stopAt: (cp: RunCheckpoint) => boolean) {
    super();
  }
  override async save(runId: string, cp: RunCheckpoint): Promise<void> {
    await super.save(runId, cp);
    if (this.stopAt(cp)) this.controller.abort();
  }
}

/** Where to interrupt, the log line the resume must print, and events it must not repeat (work before the checkpoint). */
interface Cut {
  stopAt: (cp: RunCheckpoint) => boolean;
  log: RegExp;
  redone: (e: RunEvent) => boolean;
}

async function check(gpu: Gpu, patch: Partial<RunConfig>, cuts: Cut[]) {
  const model = randomModel('tiny-llama', 4);
  const config: RunConfig = {
    ...DEFAULT_CONFIG,
    model: model.source,
    bits: 3,
    groupSize: 16,
    calibSamples: 4,
    seqLen: 16,
    evalWindows: 2,
    steps: 4,
    tqIters: 2,
    seed: 3,
    ...patch,
  };
  const split = splitText(TEXT, 'test text');
  const reference = await runQuantization({ gpu, model, split, config });
  for (const { stopAt, log, redone } of cuts) {
    const label = `${config.method} (${config.teqLoss}) cut at ${log}`;
    if (reference.result.status !== 'done') throw new Error(`${label}: reference ${reference.result.status} ${reference.result.error}`);
    const store = new CancellingStore(stopAt);
    const cut = await runQuantization({
      gpu,
      model,
      split,
      config,
      runId: 'r',
      checkpoints: store,
      checkpointEverySeconds: 0,
      signal: store.controller.signal,
    });
    if (cut.result.status !== 'cancelled') throw new Error(`${label}: the interrupted run ended ${cut.result.status}`);
    const cp = await store.load('r');
    if (!cp || !stopAt(cp)) throw new Error(`${label}: the stored checkpoint is not the one the run stopped after`);

    const logs: string[] = [];
    const repeated: RunEvent[] = [];
    const onEvent = (e: RunEvent) => {
      if (e.type === 'log') logs.push(e.message);
      if (redone(e)) repeated.push(e);
    };
    const resumed = await runQuantization({ gpu, model, split, config, runId: 'r', resume: cp, onEvent });
    if (resumed.result.status !== 'done') throw new Error(`${label}: resumed ${resumed.result.status} ${resumed.result.error}`);
    if (!logs.some((l) => log.test(l))) throw new Error(`${label}: no resume message: ${logs.join(' | ')}`);
    if (repeated.length) throw new Error(`${label}: the resumed run redid work before the checkpoint: ${JSON.stringify(repeated[0])}`);
    sameModel(reference.quantized!, resumed.quantized!, label);
    // the details of what was done before the cut come back from the checkpoint (Inspect shows every block)
    const a = detailsDigest(resumed.result.details);
    const b = detailsDigest(reference.result.details);
    if (a !== b) throw new Error(`${label}: details ${a} resumed, ${b} uninterrupted`);
    if (!Object.is(reference.result.pplQuant, resumed.result.pplQuant))
      throw new Error(`${label}: perplexity ${resumed.result.pplQuant} resumed, ${reference.result.pplQuant} uninterrupted`);
  }
}

/** TesseraQ's loss events of the blocks before `block` and of its first `rounds` rounds (tqIters 2). */
const tesseraqBefore = (block: number, rounds: number) => (e: RunEvent) => {
  if (e.type !== 'loss' || !e.series.startsWith('block ')) return false;
  const b = Number(e.series.slice(6));
  return b < block || (b === block && e.step < rounds * 2);
};
const teqStepsUpTo = (step: number) => (e: RunEvent) => e.type === 'progress' && e.phase === 'teq' && e.done <= step;
const anyTeqStep = (e: RunEvent) => e.type === 'progress' && e.phase === 'teq';

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'TesseraQ: cancelled after round 3 of block 1, resumed mid-block, bit-identical'(gpu) {
    await check(gpu, { method: 'tesseraq' }, [
      { stopAt: (cp) => cp.inProgress?.block === 1 && cp.inProgress.round === 3, log: /in block 1 after round 3/, redone: tesseraqBefore(1, 3) },
    ]);
  },
  async 'TEQ (LM loss): cancelled after step 2, resumed, bit-identical'(gpu) {
    await check(gpu, { method: 'teq', teqLoss: 'lm' }, [
      { stopAt: (cp) => cp.inProgress?.step === 2, log: /at step 2 of the TEQ training/, redone: teqStepsUpTo(2) },
    ]);
  },
  async 'TEQ (LM loss) at lr 1, the held-out start kept: cancelled after step 2, resumed with the kept α from the checkpoint, bit-identical'(gpu) {
    await check(gpu, { method: 'teq', teqLoss: 'lm', lr: 1 }, [
      { stopAt: (cp) => cp.inProgress?.step === 2 && !!cp.inProgress.tensors['kept.alpha'], log: /at step 2 of the TEQ training/, redone: teqStepsUpTo(2) },
    ]);
  },
  async 'TEQ then TesseraQ: cancelled in the TEQ phase and in TesseraQ block 1, resumed, bit-identical'(gpu) {
    await check(gpu, { method: 'teq+tesseraq', teqLoss: 'lm' }, [
      { stopAt: (cp) => !cp.baseOverrides && cp.inProgress?.step === 2, log: /at step 2 of the TEQ training/, redone: teqStepsUpTo(2) },
      {
        stopAt: (cp) => !!cp.baseOverrides && cp.inProgress?.block === 1 && cp.inProgress.round === 2,
        log: /in block 1 after round 2/,
        redone: (e) => anyTeqStep(e) || tesseraqBefore(1, 2)(e),
      },
    ]);
  },
};

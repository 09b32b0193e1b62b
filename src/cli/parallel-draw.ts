// The random models' weights drawn in worker threads: the generator's state moves by a constant per
// value, so each thread draws its own range of a tensor into shared memory, the same values as one
// thread would (src/formats/random-model.ts fillRandomPairs, whose source the workers run). The 1B
// shape's 1.24G values took about a minute on one thread.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { fillRandomPairs, randomDraw, randomTensor } from '../formats/random-model';

/** Below this many values a tensor is drawn on the calling thread (a worker's round trip costs more). */
const MIN_PARALLEL = 1 << 20;

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fill = ${fillRandomPairs.toString()};
parentPort.on('message', ({ sab, n, state, offset, scale, p0, p1 }) => {
  fill(new Float32Array(sab), n, state, offset, scale, p0, p1);
  parentPort.postMessage(null);
});
`;

export class ParallelDraw {
  private workers: Worker[] = [];
  constructor(private threads = Math.max(1, Math.min(16, availableParallelism()))) {}

  private pool(): Worker[] {
    while (this.workers.length < this.threads) {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.unref(); // idle workers do not keep the process alive
      this.workers.push(w);
    }
    return this.workers;
  }

  /** The same values as randomTensor(name, shape, seed), in a Float32Array over shared memory. */
  async draw(name: string, shape: number[], seed: number): Promise<Float32Array> {
    const d = randomDraw(name, shape, seed);
    if (this.threads < 2 || d.n < MIN_PARALLEL) return randomTensor(name, shape, seed);
    const sab = new SharedArrayBuffer(d.n * 4);
    const pairs = Math.ceil(d.n / 2);
    const workers = this.pool();
    const per = Math.ceil(pairs / workers.length);
    await Promise.all(
      workers.map((w, k) =>
        new Promise<void>((resolve, reject) => {
          const p0 = Math.min(pairs, k * per),
            p1 = Math.min(pairs, p0 + per);
          if (p0 >= p1) return resolve();
          const done = () => (w.off('error', fail), resolve());
          const fail = (e: Error) => (w.off('message', done), reject(e));
          w.once('message', done);
          w.once('error', fail);
          w.ref(); // busy: keep the process alive until it answers
          w.postMessage({ sab, n: d.n, state: d.state, offset: d.offset, scale: d.scale, p0, p1 });
        }).finally(() => w.unref()),
      ),
    );
    return new Float32Array(sab);
  }

  close(): void {
    for (const w of this.workers) void w.terminate();
    this.workers = [];
  }
}

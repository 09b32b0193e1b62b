// A watchdog thread for the fuzz test. A parser stuck in a synchronous loop blocks the event
// loop, so no timer of the test itself could fire; this thread watches a shared heartbeat and the
// process's memory, and on a hang or a runaway allocation prints the case and kills the process
// (a loud failure instead of a test run that never ends or takes the machine down). The memory
// limit reads the whole process: right for vitest's default 'forks' pool, where each test file
// has a process of its own.
import { Worker } from 'node:worker_threads';

const WATCHER = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const state = new Int32Array(workerData.state);
const label = new Uint8Array(workerData.label);
const t0 = workerData.t0;
setInterval(() => {
  const active = Atomics.load(state, 0) === 1;
  const since = Date.now() - t0 - Atomics.load(state, 1);
  const rss = process.memoryUsage().rss;
  let why = '';
  if (active && since > workerData.hangMs) why = 'hung for ' + since + ' ms';
  else if (rss > workerData.maxRss) why = 'process memory reached ' + Math.round(rss / 2 ** 20) + ' MiB';
  if (!why) return;
  const n = label.indexOf(0);
  const text = new TextDecoder().decode(label.subarray(0, n < 0 ? label.length : n));
  writeSync(2, '\\nFUZZ WATCHDOG: case ' + text + ' ' + why + '; killing the test process\\n');
  process.kill(process.pid, 'SIGKILL');
}, 50);
`;

export interface Watchdog {
  begin(label: string): void;
  end(): void;
  stop(): Promise<void>;
}

export function startWatchdog(opts: { hangMs: number; maxRssBytes: number }): Watchdog {
  const state = new SharedArrayBuffer(8);
  const label = new SharedArrayBuffer(512);
  const t0 = Date.now();
  const worker = new Worker(WATCHER, { eval: true, workerData: { state, label, t0, hangMs: opts.hangMs, maxRss: opts.maxRssBytes } });
  worker.unref();
  const st = new Int32Array(state);
  const lb = new Uint8Array(label);
  const enc = new TextEncoder();
  return {
    begin(text) {
      lb.fill(0);
      lb.set(enc.encode(text).subarray(0, lb.length - 1));
      Atomics.store(st, 1, Date.now() - t0);
      Atomics.store(st, 0, 1);
    },
    end() {
      Atomics.store(st, 0, 0);
    },
    async stop() {
      await worker.terminate();
    },
  };
}

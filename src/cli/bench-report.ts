// The bench's report: its rows, the hottest kernels from timestamp totals (with TFLOP/s where the
// label names a matmul's shape) and the Markdown table the README quotes. Pure, so it is unit-tested.
import type { Method, RunConfig } from '../core/run-types';
import { QUANTIZING_METHODS } from '../methods/registry';
import type { BenchFigures } from '../methods/types';

/** Every method that quantizes (the registry's, src/methods/registry.ts). */
export const BENCH_METHODS: readonly Method[] = QUANTIZING_METHODS;
export type BenchMethod = Method;
const TOP_KERNELS = 6;

export interface KernelRow {
  kernel: string;
  /** Dispatches timed (timestamps sample a part of them). */
  timed: number;
  usPerCall: number;
  /** Share of the sampled GPU time. */
  share: number;
  tflops?: number;
}

/** The method's own columns (awqSeconds, teqStepsPerSecond, tq...) come from its descriptor's bench(). */
export interface BenchRow extends BenchFigures {
  method: BenchMethod;
  /** The whole method (initialisation included), from the run's own phase timer. */
  seconds: number;
  evalTokensPerSecond: number;
  peakMiB: number;
  /** What the memory plan predicted before the run (its largest phase). */
  plannedMiB: number;
  /** GPU bytes per phase, planned before the run and measured during it (the run's own record). */
  memory?: { planned: Record<string, number>; measured: Record<string, number> };
  pplFp: number;
  pplQuant: number;
  kernels?: KernelRow[];
}

export interface BenchReport {
  date: string;
  device: string;
  model: string;
  config: Omit<RunConfig, 'method'>;
  calibForwardSeconds: number;
  calibTokensPerSecond: number;
  matmulPeakTflops?: number;
  /** n of the n³ product that measured the peak. */
  matmulPeakSize?: number;
  rows: BenchRow[];
}

/** FLOPs of a dispatch from its label ("matmul 4x512x64x172 tB" = 2·4·512·64·172). */
export function matmulFlops(label: string): number | undefined {
  const m = /^matmul (?:(\d+)x)?(\d+)x(\d+)x(\d+)(?: tA| tB)*$/.exec(label);
  if (!m) return undefined;
  const [batch, a, b, c] = [m[1] ?? '1', m[2], m[3], m[4]].map(Number);
  return 2 * batch * a * b * c;
}

/** The hottest timed kernels, most GPU time first. */
export function hotKernels(totals: ReadonlyMap<string, { ns: number; count: number }>, top = TOP_KERNELS): KernelRow[] {
  const all = [...totals.entries()];
  const sum = all.reduce((s, [, e]) => s + e.ns, 0) || 1;
  return all
    .sort((x, y) => y[1].ns - x[1].ns)
    .slice(0, top)
    .map(([kernel, e]) => {
      const flops = matmulFlops(kernel);
      return {
        kernel,
        timed: e.count,
        usPerCall: e.ns / e.count / 1e3,
        share: e.ns / sum,
        tflops: flops ? (flops * e.count) / e.ns / 1e3 : undefined,
      };
    });
}

const f = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? '' : x.toFixed(d));
/** Three significant digits: kernels on a software adapter reach only GFLOP/s. */
const f3 = (x: number | undefined) => (x === undefined ? '' : x >= 100 ? x.toFixed(0) : x.toPrecision(3));

export function benchMarkdown(rep: BenchReport): string {
  const c = rep.config;
  const lines = [
    `${rep.date.slice(0, 10)}, ${rep.device}; ${rep.model}; W${c.bits} g${c.groupSize}, ${c.calibSamples}x${c.seqLen} calibration tokens, ` +
      `TEQ ${c.steps} steps (${c.teqLoss} loss, init ${c.teqInit}), TesseraQ ${c.tqSchedule} x ${c.tqIters} iterations, batch ${c.tqBatch}.`,
    `Calibration forward: ${f(rep.calibForwardSeconds, 3)} s (${f(rep.calibTokensPerSecond / 1e3, 1)}k tokens/s).` +
      (rep.matmulPeakTflops ? ` f32 matmul ${rep.matmulPeakSize ?? 4096}³: ${f(rep.matmulPeakTflops, 1)} TFLOP/s.` : ''),
    '',
    '| method | seconds | AWQ search s | TEQ steps/s | TesseraQ s/block | s/round | s per 250-iteration round | GPTQ s/block | eval tokens/s | peak GPU MiB (planned) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rep.rows.map(
      (r) =>
        `| ${r.method} | ${f(r.seconds)} | ${f(r.awqSeconds)} | ${f(r.teqStepsPerSecond, 1)} | ${f(r.tqSecondsPerBlock)} | ${f(r.tqSecondsPerRound, 3)} | ${f(r.tqSecondsPer250Round)} | ${f(r.gptqSecondsPerBlock)} | ${f(r.evalTokensPerSecond, 0)} | ${f(r.peakMiB, 0)} (${f(r.plannedMiB, 0)}) |`,
    ),
  ];
  for (const r of rep.rows.filter((x) => x.kernels?.length)) {
    lines.push(
      '',
      `Hottest kernels, ${r.method} (sampled timestamps):`,
      '',
      '| kernel | µs per call | share of GPU time | TFLOP/s | of peak |',
      '|---|---|---|---|---|',
    );
    for (const k of r.kernels!) {
      const ofPeak = k.tflops && rep.matmulPeakTflops ? `${f((100 * k.tflops) / rep.matmulPeakTflops, 0)}%` : '';
      lines.push(`| ${k.kernel} | ${f(k.usPerCall, 1)} | ${f(100 * k.share, 1)}% | ${f3(k.tflops)} | ${ofPeak} |`);
    }
  }
  return lines.join('\n');
}

// The bench's report: its rows, the hottest kernels from timestamp totals (with TFLOP/s where the
// label names a matmul's or attention's shape), the kernel families of each method against the
// ceilings measured in the run, and the Markdown tables the README quotes. Pure, so it is unit-tested.
import type { Method, RunConfig } from '../core/run-types';
import type { KernelTotal } from '../gpu/timing';
import { QUANTIZING_METHODS } from '../methods/registry';
import type { BenchFigures } from '../methods/types';
import { dispatchFlops, matmulLabelPath } from './kernel-flops';
import { OTHER_FAMILY, PATH_NAMES, type Ceilings, type FamilyRow } from './kernel-families';

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
  /** The method's timed kernels by family, against the run's ceilings. */
  families?: FamilyRow[];
  /** Every entry of the run's phase timer: its phases and the parts methods record inside theirs
   *  (tesseraq-weights, -target, -init, -rounds, -final, -store). */
  phaseSeconds?: Record<string, number>;
  /** TesseraQ: per block, the wall seconds of its parts and of each round (losses read back). */
  tqBlocks?: { block: number; seconds: Record<string, number>; rounds: number[] }[];
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
  /** Every matmul path's n³ rate and the streaming bandwidth, measured in this run (the families' ceilings). */
  ceilings?: Ceilings;
  /** Why there are no kernel tables (no timestamp queries, or --kernels 0). */
  kernelNote?: string;
  /** Dawn toggles switched on with --dawnToggles (none: what a browser runs). */
  dawnToggles?: string[];
  rows: BenchRow[];
}

/** The hottest timed kernels, most GPU time first. */
export function hotKernels(totals: ReadonlyMap<string, Pick<KernelTotal, 'ns' | 'count'>>, top = TOP_KERNELS): KernelRow[] {
  const all = [...totals.entries()];
  const sum = all.reduce((s, [, e]) => s + e.ns, 0) || 1;
  return all
    .sort((x, y) => y[1].ns - x[1].ns)
    .slice(0, top)
    .map(([kernel, e]) => {
      const flops = dispatchFlops(kernel);
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
      `TEQ ${c.steps} steps (${c.teqLoss} loss, init ${c.teqInit}), TesseraQ ${c.tqSchedule} x ${c.tqIters} iterations, batch ${c.tqBatch}.` +
      (rep.dawnToggles?.length ? ` Dawn toggles on: ${rep.dawnToggles.join(', ')}.` : ''),
    `Calibration forward: ${f(rep.calibForwardSeconds, 3)} s (${f(rep.calibTokensPerSecond / 1e3, 1)}k tokens/s).` +
      (rep.matmulPeakTflops ? ` f32 matmul ${rep.matmulPeakSize ?? 4096}³: ${f3(rep.matmulPeakTflops)} TFLOP/s.` : ''),
    '',
    '| method | seconds | AWQ search s | TEQ steps/s | TesseraQ s/block | s/round | s per 250-iteration round | GPTQ s/block | eval tokens/s | peak GPU MiB (planned) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rep.rows.map(
      (r) =>
        `| ${r.method} | ${f(r.seconds)} | ${f(r.awqSeconds)} | ${f(r.teqStepsPerSecond, 1)} | ${f(r.tqSecondsPerBlock)} | ${f(r.tqSecondsPerRound, 3)} | ${f(r.tqSecondsPer250Round)} | ${f(r.gptqSecondsPerBlock)} | ${f(r.evalTokensPerSecond, 0)} | ${f(r.peakMiB, 0)} (${f(r.plannedMiB, 0)}) |`,
    ),
  ];
  for (const r of rep.rows.filter((x) => x.phaseSeconds)) lines.push('', phaseLine(r));
  if (rep.kernelNote) lines.push('', rep.kernelNote);
  for (const r of rep.rows.filter((x) => x.kernels?.length)) {
    lines.push(
      '',
      `Hottest kernels, ${r.method} (sampled timestamps):`,
      '',
      "| kernel | µs per call | share of GPU time | TFLOP/s | of peak (the path's n³ matmul) |",
      '|---|---|---|---|---|',
    );
    for (const k of r.kernels!) {
      const peak = rep.ceilings?.matmulTflops[matmulLabelPath(k.kernel) ?? 'f32'] ?? rep.matmulPeakTflops;
      const ofPeak = k.tflops && peak ? `${f((100 * k.tflops) / peak, 0)}%` : '';
      lines.push(`| ${k.kernel} | ${f(k.usPerCall, 1)} | ${f(100 * k.share, 1)}% | ${f3(k.tflops)} | ${ofPeak} |`);
    }
  }
  const withFamilies = rep.rows.filter((x) => x.families?.length);
  if (withFamilies.length) lines.push('', ...familyPreamble(rep.ceilings));
  for (const r of withFamilies) lines.push('', ...familyTable(r.method, r.families!));
  return lines.join('\n');
}

/** "tesseraq: load 3.10 s, eval-fp 2.00 s, tesseraq 10.00 s (init 4.00, rounds 5.00), ...; rounds 0.010-0.030 s (median 0.012)". */
export function phaseLine(r: Pick<BenchRow, 'method' | 'phaseSeconds' | 'tqBlocks'>): string {
  const s = r.phaseSeconds ?? {};
  const names = Object.keys(s);
  const parts = (phase: string) =>
    names
      .filter((n) => n.startsWith(`${phase}-`))
      .map((n) => `${n.slice(phase.length + 1)} ${f(s[n])}`)
      .join(', ');
  // a phase's parts are written after it; a part with no phase of its name stands alone
  const phases = names.filter((n) => !names.some((p) => p !== n && n.startsWith(`${p}-`)));
  const text = phases.map((p) => (parts(p) ? `${p} ${f(s[p])} s (${parts(p)})` : `${p} ${f(s[p])} s`)).join(', ');
  const rounds = (r.tqBlocks ?? []).flatMap((b) => b.rounds).sort((a, b) => a - b);
  const roundText = rounds.length
    ? `; ${rounds.length} rounds ${f(rounds[0], 3)}-${f(rounds[rounds.length - 1], 3)} s (median ${f(rounds[Math.floor(rounds.length / 2)], 3)})`
    : '';
  return `Seconds per phase, ${r.method}: ${text}${roundText}.`;
}

/** What the family tables count and the ceilings this run measured. */
function familyPreamble(c: Ceilings | undefined): string[] {
  const paths = Object.entries(c?.matmulTflops ?? {}).map(([p, t]) => `${PATH_NAMES[p as keyof typeof PATH_NAMES]} matmul ${c!.matmulSize}³ ${f3(t)} TFLOP/s`);
  const stream = c?.bandwidthGBs === undefined ? 'not measured' : `${f3(c.bandwidthGBs)} GB/s (${c.bandwidthProbe})`;
  return [
    `Ceilings measured in this run: ${paths.join(', ') || 'no matmul measured'}; streaming bandwidth ${stream}.`,
    'Kernel families: GPU time of the timed dispatches (timestamps sample a part of them) and its share of the method’s timed GPU time. ' +
      'TFLOP/s: the FLOPs the labels give (matmul 2·M·K·N; attention 2·D per product over the head dim for every causal query-key pair, ' +
      'key ≤ query: forward 2 products, dq 3, dkv 4) over the family’s whole time. GB/s (est.): the bytes of the storage buffers each dispatch binds, ' +
      'an estimate (an upper bound where a kernel reads part of a buffer, a lower one where it reads and writes the same buffer). ' +
      'Ceiling: matmuls and attention against the same path’s matmul (attention: f32), every other family against the streaming bandwidth.',
  ];
}

function familyTable(method: string, rows: FamilyRow[]): string[] {
  const ms = rows.reduce((s, r) => s + r.gpuMs, 0);
  const timed = rows.reduce((s, r) => s + r.timed, 0);
  const lines = [
    `Kernel families, ${method} (${timed} dispatches timed, ${f3(ms)} GPU ms):`,
    '',
    '| family | GPU ms | share | timed | TFLOP/s | GB/s (est.) | ceiling | of ceiling |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const unit = r.bound === 'compute' ? 'TFLOP/s' : 'GB/s';
    const ceiling = r.ceiling === undefined ? 'not measured' : `${f3(r.ceiling)} ${unit} (${r.ceilingOf})`;
    const of = r.ofCeiling === undefined ? '' : `${f(100 * r.ofCeiling, r.ofCeiling < 0.1 ? 1 : 0)}%`;
    lines.push(`| ${r.family} | ${f3(r.gpuMs)} | ${f(100 * r.share, 1)}% | ${r.timed} | ${f3(r.tflops)} | ${f3(r.gbps)} | ${ceiling} | ${of} |`);
  }
  const other = rows.find((r) => r.family === OTHER_FAMILY);
  if (other) lines.push('', `${OTHER_FAMILY} (kernels of no known family): ${other.kernels.join(', ')}`);
  return lines;
}

// Issue 17's quality check of the f16 path: the same stories260K runs at the reference settings on
// the f16 path (`--f16 all`, every Linear product on f16 operands) and on the f32 path (`--no-f16`),
// and a table of both perplexities. The control (`--control`) compares the f32 path with itself on
// weights whose last bits are flipped: how far single cells move under a last-bit change alone. The
// cells, each run's arguments and the verdicts are here, pure, so they are unit-tested;
// src/cli/half-quality.ts runs the studio CLI and prints the table.
import type { Method } from '../core/run-types';
import type { MatmulPath } from '../ops/matmul';

/** f16: `--f16 all`; f32: `--no-f16`; flipped: `--no-f16` on the weights with last bits flipped (`--flipLastBits 1`). */
export type HalfPath = 'f16' | 'f32' | 'flipped';
/** What the f32 path is compared with. */
export type TestedPath = Exclude<HalfPath, 'f32'>;
const PATH_LABEL: Record<TestedPath, string> = { f16: 'f16 path', flipped: 'f32, last bits flipped' };
/** W4 and W3 cells: the f16 path's perplexity within 0.3% of the f32 path's (issue 17). */
export const QUALITY_TOLERANCE = 0.003;
/** The methods that train through the Linear products (the 16 cells with W4, W3, seeds 0, 1). */
export const TRAINED_METHODS: readonly Method[] = ['teq', 'tesseraq', 'teq+tesseraq', 'teq+gptq'];

export interface QualityCell {
  method: Method;
  bits: number;
  seed: number;
}

/** Every method x bits x seed, then TesseraQ W2 for each seed (judged against its seed spread). */
export function qualityCells(methods: readonly Method[], bits: readonly number[], seeds: readonly number[], w2: boolean): QualityCell[] {
  const cells = methods.flatMap((method) => bits.flatMap((b) => seeds.map((seed) => ({ method, bits: b, seed }))));
  if (w2 && !bits.includes(2)) cells.push(...seeds.map((seed) => ({ method: 'tesseraq' as const, bits: 2, seed })));
  return cells;
}

/** The studio CLI's `quantize` arguments of one run at the reference settings of the README's
 *  "Results on stories260K" (128 x 512 calibration tokens, g32, every evaluation window). */
export function qualityArgs(cell: QualityCell, path: HalfPath): string[] {
  const common = ['--model', 'bundled', '--method', cell.method, '--bits', String(cell.bits), '--groupSize', '32'];
  const settings = ['--calibSamples', '128', '--seqLen', '512', '--evalWindows', '0', '--seed', String(cell.seed)];
  const own: Partial<Record<Method, string[]>> = {
    teq: ['--steps', '300'],
    'teq+gptq': ['--steps', '300'],
    tesseraq: ['--tqIters', '50', '--tqSchedule', 'paper20'],
    'teq+tesseraq': ['--steps', '20', '--tqIters', '50', '--tqSchedule', 'paper20'],
  };
  const precision = { f16: ['--f16', 'all'], f32: ['--no-f16'], flipped: ['--no-f16', '--flipLastBits', '1'] }[path];
  return ['quantize', ...common, ...settings, ...(own[cell.method] ?? []), ...precision];
}

/** A file name for a run's result: `teq_gptq-W3-s1-f16`. */
export const runName = (cell: QualityCell, path: HalfPath) => `${cell.method.replace(/\+/g, '_')}-W${cell.bits}-s${cell.seed}-${path}`;

export interface QualityRun extends QualityCell {
  path: HalfPath;
  pplQuant: number;
  /** The path its Linear products took (the result's details.linearMatmuls). */
  linearMatmuls?: MatmulPath;
  /** What its held-out choices kept: TEQ's step, TEQ then GPTQ's check. */
  kept?: string;
}

/** What a run's held-out choices kept, from its result's details. */
export function keptChoice(details: Record<string, unknown> | undefined): string | undefined {
  const d = (details ?? {}) as { teq?: { selection?: { keptStep?: number } }; teqGptq?: { keptTeq?: boolean } };
  const parts = [
    d.teq?.selection?.keptStep !== undefined ? `step ${d.teq.selection.keptStep}` : '',
    d.teqGptq ? (d.teqGptq.keptTeq ? "TEQ's scales" : 'GPTQ alone') : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : undefined;
}

export interface QualityRow extends QualityCell {
  /** The run compared with the f32 path's: on the f16 path, or (the control) on flipped weights. */
  tested?: QualityRun;
  f32?: QualityRun;
  /** (tested − f32) / f32. */
  delta?: number;
  /** W4/W3: |delta| within 0.3%; W2: |tested − f32| within the f32 path's spread over seeds. */
  ok?: boolean;
  note: string;
}

/** One row a cell, both paths side by side, with its verdict. */
export function qualityRows(runs: readonly QualityRun[]): QualityRow[] {
  const key = (c: QualityCell) => `${c.method}|${c.bits}|${c.seed}`;
  const cells = new Map<string, QualityRow>();
  for (const r of runs) {
    const row = cells.get(key(r)) ?? { method: r.method, bits: r.bits, seed: r.seed, note: '' };
    if (r.path === 'f32') row.f32 = r;
    else row.tested = r;
    cells.set(key(r), row);
  }
  const rows = [...cells.values()];
  for (const row of rows) {
    const { tested, f32 } = row;
    if (!tested || !f32) {
      row.note = `no ${tested ? 'f32' : 'f16 (or flipped)'} run`;
      continue;
    }
    if (tested.path === 'f16' && tested.linearMatmuls === 'f32') {
      row.ok = false;
      row.note = 'the f16 run took the f32 path (no f16 subgroup matrices on this GPU)';
      continue;
    }
    row.delta = (tested.pplQuant - f32.pplQuant) / f32.pplQuant;
    if (row.bits > 2) {
      row.ok = Math.abs(row.delta) <= QUALITY_TOLERANCE;
      row.note = row.ok ? 'within 0.3%' : 'outside 0.3%';
      continue;
    }
    const spread = seedSpread(rows, row);
    if (spread === undefined) row.note = 'one seed: no spread to judge against';
    else {
      row.ok = Math.abs(tested.pplQuant - f32.pplQuant) <= spread;
      row.note = `${row.ok ? 'within' : 'outside'} the f32 seed spread ${spread.toPrecision(3)}`;
    }
  }
  return rows;
}

/** Largest minus smallest f32 perplexity of the method and bits over the seeds measured. */
function seedSpread(rows: readonly QualityRow[], cell: QualityCell): number | undefined {
  const ppl = rows.filter((r) => r.method === cell.method && r.bits === cell.bits && r.f32).map((r) => r.f32!.pplQuant);
  return ppl.length < 2 ? undefined : Math.max(...ppl) - Math.min(...ppl);
}

/** One method and bit width over the seeds that ran on both paths. A single run's perplexity moves
 *  with every rounding that flips in training (the f32 path's own seed-to-seed spread at W3 is larger
 *  than 0.3%), so the means tell whether the f16 path shifts quality where single cells cannot. */
export interface QualitySummary {
  method: Method;
  bits: number;
  seeds: number;
  testedMean: number;
  f32Mean: number;
  /** Mean over seeds of each seed's (tested − f32) / f32, and its standard error. */
  meanDelta: number;
  deltaSe: number;
  /** The f32 path's standard deviation over seeds, relative to its mean. */
  f32Sd: number;
  /** W4/W3: |meanDelta| within 0.3%; W2: |testedMean − f32Mean| within the f32 path's seed spread. */
  ok: boolean;
}

const mean = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
const sd = (xs: readonly number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

/** Per method and bits with two seeds or more measured on both paths (cells whose f16 run took the f32 path left out). */
export function qualitySummaries(rows: readonly QualityRow[]): QualitySummary[] {
  const groups = new Map<string, QualityRow[]>();
  for (const r of rows) {
    if (r.delta === undefined) continue;
    const key = `${r.method}|${r.bits}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  return [...groups.values()]
    .filter((g) => g.length >= 2)
    .map((g) => {
      const tested = g.map((r) => r.tested!.pplQuant);
      const f32 = g.map((r) => r.f32!.pplQuant);
      const deltas = g.map((r) => r.delta!);
      const [testedMean, f32Mean, meanDelta] = [mean(tested), mean(f32), mean(deltas)];
      const ok = g[0].bits > 2 ? Math.abs(meanDelta) <= QUALITY_TOLERANCE : Math.abs(testedMean - f32Mean) <= seedSpread(rows, g[0])!;
      return {
        method: g[0].method,
        bits: g[0].bits,
        seeds: g.length,
        testedMean,
        f32Mean,
        meanDelta,
        deltaSe: sd(deltas) / Math.sqrt(g.length),
        f32Sd: sd(f32) / f32Mean,
        ok,
      };
    });
}

const fmt = (x: number | undefined) => (x === undefined ? '-' : x.toPrecision(5));
const percent = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}%`;

/** The Markdown table and a one-line count of the cells within tolerance. */
export function qualityMarkdown(rows: readonly QualityRow[]): string {
  const short: TestedPath = rows.some((r) => r.tested?.path === 'flipped') ? 'flipped' : 'f16';
  const label = PATH_LABEL[short];
  const lines = [
    `| method | W | seed | ${label} | f32 path | ${short} − f32 | verdict | kept (${short} / f32) |`,
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const delta = r.delta === undefined ? '-' : percent(r.delta);
      const kept = r.tested?.kept || r.f32?.kept ? `${r.tested?.kept ?? '-'} / ${r.f32?.kept ?? '-'}` : '';
      return `| ${r.method} | ${r.bits} | ${r.seed} | ${fmt(r.tested?.pplQuant)} | ${fmt(r.f32?.pplQuant)} | ${delta} | ${r.note} | ${kept} |`;
    }),
  ];
  const judged = rows.filter((r) => r.ok !== undefined);
  lines.push('', `${judged.filter((r) => r.ok).length} of ${judged.length} judged cells pass (${rows.length} cells).`);
  const summaries = qualitySummaries(rows);
  if (summaries.length)
    lines.push(
      '',
      `| method | W | seeds | ${label}, mean | f32 path, mean | mean of ${short} − f32 (± standard error) | f32 path over seeds (sd) | verdict |`,
      '|---|---|---|---|---|---|---|---|',
      ...summaries.map((m) => {
        const verdict = m.bits > 2 ? `mean ${m.ok ? 'within' : 'outside'} 0.3%` : `means ${m.ok ? 'within' : 'outside'} the f32 seed spread`;
        return `| ${m.method} | ${m.bits} | ${m.seeds} | ${fmt(m.testedMean)} | ${fmt(m.f32Mean)} | ${percent(m.meanDelta)} ± ${(100 * m.deltaSe).toFixed(2)}% | ${(100 * m.f32Sd).toFixed(2)}% | ${verdict} |`;
      }),
    );
  return lines.join('\n');
}

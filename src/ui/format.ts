// Number and time formatting shared by the panels.
import type { RunResult } from '../core/run-types';
import { METHODS, METHOD_NAMES } from '../methods/registry';

export { formatBytes } from '../gpu/errors';

export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (Math.abs(n) >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
  return n.toLocaleString('en-US');
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '–';
  if (s < 10) return `${s.toFixed(1)} s`;
  // Round once, then split: rounding the seconds after the minutes gave "11 min 60 s".
  const whole = Math.round(s);
  if (whole < 120) return `${whole} s`;
  const m = Math.floor(whole / 60);
  if (m < 120) return `${m} min ${whole - m * 60} s`;
  const minutes = Math.round(s / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatPpl(p: number): string {
  if (!Number.isFinite(p)) return '–';
  return p >= 100 ? p.toFixed(1) : p.toFixed(3);
}

export function formatSigned(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return '–';
  return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;
}

export function formatSci(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  return Math.abs(v) >= 0.01 && Math.abs(v) < 1000 ? v.toPrecision(3) : v.toExponential(2);
}

/** Each method's short label, from its descriptor (src/methods/). */
export const METHOD_LABELS: Record<RunResult['method'], string> = Object.fromEntries(METHOD_NAMES.map((m) => [m, METHODS[m].label])) as Record<
  RunResult['method'],
  string
>;

/** "TEQ W3 g32 asym", the short name of a run everywhere in the studio. */
export function runLabel(r: Pick<RunResult, 'method' | 'bits' | 'groupSize' | 'symmetric'>): string {
  if (r.method === 'fp') return METHOD_LABELS.fp;
  const group = r.groupSize === 0 ? 'per-channel' : `g${r.groupSize}`;
  return `${METHOD_LABELS[r.method]} W${r.bits} ${group} ${r.symmetric ? 'sym' : 'asym'}`;
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

/**
 * A run's time: the sum of its own phases. Methods also record parts inside their phase (TEQ then
 * TesseraQ's "teq", TesseraQ's "tesseraq-init"), which summing every entry counted twice.
 */
export function runSeconds(r: Pick<RunResult, 'seconds' | 'method'>): number {
  const phases = [...new Set(['tokenize', 'load', 'eval-fp', r.method, 'measure', 'eval-quant'])].filter((p) => p in r.seconds);
  // Runs written by other tools name their phases otherwise: their entries are all there is.
  if (phases.length === 0) return Object.values(r.seconds).reduce((a, b) => a + b, 0);
  return phases.reduce((a, p) => a + r.seconds[p], 0);
}

/** When a run ended: recorded since finishedAt exists, else its start plus its phases' time. */
export function finishedAt(r: Pick<RunResult, 'createdAt' | 'finishedAt' | 'seconds' | 'method'>): string {
  if (r.finishedAt) return r.finishedAt;
  const start = new Date(r.createdAt).getTime();
  return Number.isNaN(start) ? r.createdAt : new Date(start + runSeconds(r) * 1000).toISOString();
}

// Number and time formatting shared by the panels.
import type { RunResult } from '../engine/run-types';

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
  if (s < 120) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
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

export const METHOD_LABELS: Record<RunResult['method'], string> = {
  fp: 'FP32',
  rtn: 'RTN',
  awq: 'AWQ',
  teq: 'TEQ',
  tesseraq: 'TesseraQ',
  'teq+tesseraq': 'TEQ → TesseraQ',
  gptq: 'GPTQ',
  'awq+gptq': 'AWQ → GPTQ',
  'teq+gptq': 'TEQ → GPTQ',
};

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

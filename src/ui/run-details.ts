// Reads the method-specific series of a RunResult (`details`) defensively: results come from the
// engine, from older downloads and from imported files, so every shape is checked before use.
import type { RunResult } from '../engine/run-types';

export interface ScaleSnapshot {
  block: number;
  /** Which Linears share the scale: "qkv", "gate_up", ... */
  group: string;
  values: number[];
}

export interface LossSeries {
  name: string;
  steps: number[];
  values: number[];
}

function isNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number');
}

/** details.scales: [{block, group, values}] (the shape of the 'scales' RunEvent, last one per block and group). */
export function readScales(run: RunResult | null | undefined): ScaleSnapshot[] {
  const raw = run?.details?.scales;
  if (!Array.isArray(raw)) return [];
  const out: ScaleSnapshot[] = [];
  for (const s of raw) {
    const r = s as Partial<ScaleSnapshot>;
    if (typeof r.block === 'number' && typeof r.group === 'string' && isNumberArray(r.values)) {
      out.push({ block: r.block, group: r.group, values: r.values });
    }
  }
  return out.sort((a, b) => a.block - b.block || a.group.localeCompare(b.group));
}

/** details.losses: {series: {steps, values}} or {series: [[step, value], ...]}. */
export function readLosses(run: RunResult | null | undefined): LossSeries[] {
  const raw = run?.details?.losses;
  if (typeof raw !== 'object' || raw === null) return [];
  const out: LossSeries[] = [];
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2)) {
      const pairs = v as [number, number][];
      out.push({ name, steps: pairs.map((p) => p[0]), values: pairs.map((p) => p[1]) });
    } else if (typeof v === 'object' && v !== null) {
      const s = v as { steps?: unknown; values?: unknown };
      if (isNumberArray(s.steps) && isNumberArray(s.values) && s.steps.length === s.values.length) {
        out.push({ name, steps: s.steps, values: s.values });
      }
    }
  }
  return out;
}

/** Scale snapshots as one rows x cols matrix (NaN where a row is shorter), rows labelled "block 3 · qkv". */
export function scalesMatrix(scales: ScaleSnapshot[]): { rows: number; cols: number; values: Float32Array; labels: string[] } {
  const cols = Math.max(0, ...scales.map((s) => s.values.length));
  const values = new Float32Array(scales.length * cols).fill(Number.NaN);
  scales.forEach((s, r) => values.set(s.values, r * cols));
  return { rows: scales.length, cols, values, labels: scales.map((s) => `block ${s.block} · ${s.group}`) };
}

/** Layer errors as blocks x layer-names (NaN where missing). */
export function layerErrorMatrix(run: RunResult): { blocks: number[]; layers: string[]; values: Float32Array } {
  const blocks = [...new Set(run.layerErrors.map((e) => e.block))].sort((a, b) => a - b);
  const layers = [...new Set(run.layerErrors.map((e) => e.layer))];
  const values = new Float32Array(blocks.length * layers.length).fill(Number.NaN);
  for (const e of run.layerErrors) values[blocks.indexOf(e.block) * layers.length + layers.indexOf(e.layer)] = e.relMse;
  return { blocks, layers, values };
}

// Reads the method-specific series of a RunResult (`details`) defensively: results come from the
// engine, from older downloads and from imported files, so every shape is checked before use.
import type { RunResult } from '../core/run-types';

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

/**
 * Per-channel scales of a run, in the engine's shapes: TEQ's α per block and group
 * (details.teq.blocks[].alpha), AWQ's searched scales (details.awq[].subsets[]), or a plain
 * details.scales list ({block, group, values}, the 'scales' event's shape). TEQ wins when both exist.
 */
export function readScales(run: RunResult | null | undefined): ScaleSnapshot[] {
  const d = (run?.details ?? {}) as Record<string, unknown>;
  const out: ScaleSnapshot[] = [];
  const teqBlocks = (d.teq as { blocks?: unknown } | undefined)?.blocks;
  if (Array.isArray(teqBlocks)) {
    for (const b of teqBlocks as { block?: unknown; alpha?: unknown }[]) {
      if (typeof b.block !== 'number' || typeof b.alpha !== 'object' || b.alpha === null) continue;
      for (const [group, values] of Object.entries(b.alpha as Record<string, unknown>)) {
        if (isNumberArray(values)) out.push({ block: b.block, group, values });
      }
    }
  }
  if (out.length === 0 && Array.isArray(d.awq)) {
    for (const b of d.awq as { block?: unknown; subsets?: unknown }[]) {
      if (typeof b.block !== 'number' || !Array.isArray(b.subsets)) continue;
      for (const sub of b.subsets as { name?: unknown; scales?: unknown }[]) {
        if (typeof sub.name === 'string' && isNumberArray(sub.scales)) out.push({ block: b.block, group: sub.name, values: sub.scales });
      }
    }
  }
  if (out.length === 0 && Array.isArray(d.scales)) {
    for (const s of d.scales as Partial<ScaleSnapshot>[]) {
      if (typeof s.block === 'number' && typeof s.group === 'string' && isNumberArray(s.values)) out.push({ block: s.block, group: s.group, values: s.values });
    }
  }
  return out.sort((a, b) => a.block - b.block || a.group.localeCompare(b.group));
}

/** Which method produced the scales readScales found, for the heading. */
export function scalesKind(run: RunResult): 'TEQ' | 'AWQ' | 'scales' {
  const d = (run.details ?? {}) as Record<string, unknown>;
  if (Array.isArray((d.teq as { blocks?: unknown } | undefined)?.blocks)) return 'TEQ';
  if (Array.isArray(d.awq)) return 'AWQ';
  return 'scales';
}

/**
 * Loss curves: TEQ's per-block losses (details.teq.blocks[].losses) or LM loss
 * (details.teq.losses), and any details.losses map ({series: {steps, values}} or [[step, value]]).
 */
export function readLosses(run: RunResult | null | undefined): LossSeries[] {
  const d = (run?.details ?? {}) as Record<string, unknown>;
  const out: LossSeries[] = [];
  const teq = d.teq as { blocks?: unknown; losses?: unknown } | undefined;
  if (teq && isNumberArray(teq.losses)) out.push({ name: 'TEQ LM loss', steps: teq.losses.map((_, i) => i), values: teq.losses });
  if (teq && Array.isArray(teq.blocks)) {
    for (const b of teq.blocks as { block?: unknown; losses?: unknown }[]) {
      if (typeof b.block === 'number' && isNumberArray(b.losses) && b.losses.length) {
        out.push({ name: `TEQ block ${b.block}`, steps: b.losses.map((_, i) => i), values: b.losses });
      }
    }
  }
  const tq = d.tesseraq as { iters?: unknown; blocks?: unknown } | undefined;
  if (tq && Array.isArray(tq.blocks)) {
    for (const b of tq.blocks as { block?: unknown; rounds?: unknown }[]) {
      if (typeof b.block !== 'number' || !Array.isArray(b.rounds)) continue;
      const steps: number[] = [];
      const values: number[] = [];
      let step = 0;
      for (const r of b.rounds as { losses?: unknown }[]) {
        if (!isNumberArray(r.losses)) continue;
        for (const v of r.losses) {
          steps.push(step++);
          values.push(v);
        }
      }
      if (values.length) out.push({ name: `TesseraQ block ${b.block}`, steps, values });
    }
  }
  const raw = d.losses;
  if (typeof raw === 'object' && raw !== null) {
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
  }
  return out;
}

export interface ScaleGroupMatrix {
  /** The Linears that share these scales, e.g. "qkv", "gate_up". */
  group: string;
  /** Block of each row. */
  blocks: number[];
  cols: number;
  /** Row-major blocks x cols; NaN where a block's vector is shorter. */
  values: Float32Array;
}

/** One blocks x channels matrix per scale group (groups differ in width: hidden vs MLP size). */
export function scalesByGroup(scales: ScaleSnapshot[]): ScaleGroupMatrix[] {
  const groups = [...new Set(scales.map((s) => s.group))];
  return groups.map((group) => {
    const rows = scales.filter((s) => s.group === group).sort((a, b) => a.block - b.block);
    const cols = Math.max(0, ...rows.map((r) => r.values.length));
    const values = new Float32Array(rows.length * cols).fill(Number.NaN);
    rows.forEach((r, i) => values.set(r.values, i * cols));
    return { group, blocks: rows.map((r) => r.block), cols, values };
  });
}

/** "model.layers.3.self_attn.q_proj" -> "q_proj"; names without a layer index stay as they are. */
export function shortLayerName(name: string): string {
  const m = /(?:^|\.)layers\.\d+\.(?:self_attn\.|mlp\.)?(.+)$/.exec(name);
  return m ? m[1] : name;
}

/** Layer errors as blocks x layer roles (q_proj, k_proj, ...), NaN where missing. */
export function layerErrorMatrix(run: RunResult): { blocks: number[]; layers: string[]; values: Float32Array } {
  const blocks = [...new Set(run.layerErrors.map((e) => e.block))].sort((a, b) => a - b);
  const layers = [...new Set(run.layerErrors.map((e) => shortLayerName(e.layer)))];
  const values = new Float32Array(blocks.length * layers.length).fill(Number.NaN);
  for (const e of run.layerErrors) values[blocks.indexOf(e.block) * layers.length + layers.indexOf(shortLayerName(e.layer))] = e.relMse;
  return { blocks, layers, values };
}

export interface TesseraqBlockSummary {
  block: number;
  rtnLoss: number;
  finalLoss: number;
  /** Fraction of codes whose rounding differs from round-to-nearest. */
  flipFraction: number;
  meanF: number;
  layers: { role: string; flipFraction: number; hardFraction: number[]; meanF: number }[];
}

/** TesseraQ's per-block reports (details.tesseraq.blocks), checked field by field. */
export function readTesseraq(run: RunResult | null | undefined): TesseraqBlockSummary[] {
  const blocks = ((run?.details ?? {}) as { tesseraq?: { blocks?: unknown } }).tesseraq?.blocks;
  if (!Array.isArray(blocks)) return [];
  const out: TesseraqBlockSummary[] = [];
  for (const b of blocks as Record<string, unknown>[]) {
    if (typeof b.block !== 'number' || typeof b.rtnLoss !== 'number' || typeof b.finalLoss !== 'number' || !Array.isArray(b.layers)) continue;
    const layers = (b.layers as Record<string, unknown>[])
      .filter((l) => typeof l.role === 'string' && typeof l.flipFraction === 'number')
      .map((l) => ({
        role: l.role as string,
        flipFraction: l.flipFraction as number,
        hardFraction: isNumberArray(l.hardFraction) ? l.hardFraction : [],
        meanF: typeof l.meanF === 'number' ? l.meanF : Number.NaN,
        elements: typeof l.elements === 'number' ? l.elements : 0,
        flips: typeof l.flips === 'number' ? l.flips : 0,
      }));
    const elements = layers.reduce((a, l) => a + l.elements, 0);
    out.push({
      block: b.block,
      rtnLoss: b.rtnLoss,
      finalLoss: b.finalLoss,
      flipFraction: elements ? layers.reduce((a, l) => a + l.flips, 0) / elements : Number.NaN,
      meanF: layers.length ? layers.reduce((a, l) => a + l.meanF, 0) / layers.length : Number.NaN,
      layers: layers.map(({ role, flipFraction, hardFraction, meanF }) => ({ role, flipFraction, hardFraction, meanF })),
    });
  }
  return out.sort((a, b) => a.block - b.block);
}

/**
 * The full module name of a block's Linear from a short name ("q_proj") or a TesseraQ role ("q",
 * "gate", "o", "fc1"), found among the run's measured layers; null when the run has no such layer.
 */
export function layerNameOf(run: Pick<RunResult, 'layerErrors'>, block: number, short: string): string | null {
  const matches = (name: string) => {
    const s = shortLayerName(name);
    return s === short || s === `${short}_proj` || (short === 'o' && s === 'out_proj');
  };
  return run.layerErrors.find((e) => e.block === block && matches(e.layer))?.layer ?? null;
}

export interface GptqLayerSummary {
  block: number;
  /** "q_proj", "down_proj"... */
  layer: string;
  /** ‖(W − Q)X‖² / ‖WX‖² on the calibration inputs: round to nearest, and GPTQ (error feedback). */
  relErrRtn: number;
  relErrGptq: number;
}

export interface GptqSummary {
  layers: GptqLayerSummary[];
  /** H's diagonal per block and set (named by the set's first Linear): each input channel's importance. */
  hessianDiag: ScaleSnapshot[];
}

/** GPTQ's per-block reports (details.gptq.blocks, src/quant/gptq.ts), checked field by field. */
export function readGptq(run: RunResult | null | undefined): GptqSummary {
  const blocks = ((run?.details ?? {}) as { gptq?: { blocks?: unknown } }).gptq?.blocks;
  const out: GptqSummary = { layers: [], hessianDiag: [] };
  if (!Array.isArray(blocks)) return out;
  for (const b of blocks as Record<string, unknown>[]) {
    if (typeof b.block !== 'number') continue;
    const block = b.block;
    if (Array.isArray(b.layers)) {
      for (const l of b.layers as Record<string, unknown>[]) {
        if (typeof l.layer === 'string' && typeof l.relErrRtn === 'number' && typeof l.relErrGptq === 'number') {
          out.layers.push({ block, layer: shortLayerName(l.layer), relErrRtn: l.relErrRtn, relErrGptq: l.relErrGptq });
        }
      }
    }
    if (typeof b.hessianDiag === 'object' && b.hessianDiag !== null) {
      for (const [group, values] of Object.entries(b.hessianDiag as Record<string, unknown>)) {
        if (isNumberArray(values)) out.hessianDiag.push({ block, group, values });
      }
    }
  }
  out.layers.sort((a, b) => a.block - b.block);
  out.hessianDiag.sort((a, b) => a.block - b.block);
  return out;
}

/** GPTQ's per-layer errors as blocks x layers: its own, and its ratio to round-to-nearest's (NaN where missing). */
export function gptqErrorMatrix(layers: GptqLayerSummary[]): { blocks: number[]; layers: string[]; gptq: Float32Array; ratio: Float32Array } {
  const blocks = [...new Set(layers.map((e) => e.block))].sort((a, b) => a - b);
  const names = [...new Set(layers.map((e) => e.layer))];
  const gptq = new Float32Array(blocks.length * names.length).fill(Number.NaN);
  const ratio = new Float32Array(blocks.length * names.length).fill(Number.NaN);
  for (const e of layers) {
    const i = blocks.indexOf(e.block) * names.length + names.indexOf(e.layer);
    gptq[i] = e.relErrGptq;
    ratio[i] = e.relErrRtn > 0 ? e.relErrGptq / e.relErrRtn : Number.NaN;
  }
  return { blocks, layers: names, gptq, ratio };
}

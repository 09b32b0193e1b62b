import type { Gpu } from '../gpu/gpu';
import { quantizeWeight, dequantizeWeight, type GpuQuantized } from './quantize';
import { quantizeRef } from '../reference/quantize';
import { randn } from '../reference/rng';
import { assertClose } from '../reference/compare';
import type { QuantSpec } from '../core/quant-spec';

/** Codes may differ only where w/s sits within float32 rounding of a .5 tie. */
function compareCodes(name: string, got: Uint32Array, ref: Float64Array, w: Float32Array, cols: number, refScales: Float64Array, nG: number, g: number): void {
  let bad = 0;
  for (let i = 0; i < got.length; i++) {
    if (got[i] === ref[i]) continue;
    const s = refScales[Math.floor(i / cols) * nG + Math.floor((i % cols) / g)];
    const frac = Math.abs((w[i] / s) % 1);
    if (Math.abs(Math.abs(frac) - 0.5) > 1e-3 || Math.abs(got[i] - ref[i]) > 1) bad++;
  }
  if (bad) throw new Error(`${name}: ${bad} codes differ away from rounding ties`);
}

async function check(gpu: Gpu, rows: number, cols: number, spec: QuantSpec, w: Float32Array, colScale?: Float32Array) {
  const name = `${rows}x${cols} b${spec.bits} g${spec.groupSize}${spec.symmetric ? ' sym' : ''}${colScale ? ' scaled' : ''}`;
  const wt = gpu.upload(w, [rows, cols]);
  const cs = colScale ? gpu.upload(colScale, [cols]) : undefined;
  const q = quantizeWeight(gpu, wt, spec, { colScale: cs, codes: true, dequant: true, unscale: !!cs });
  const ref = quantizeRef(w, rows, cols, spec, colScale);
  const g = spec.groupSize > 0 ? Math.min(spec.groupSize, cols) : cols;
  const nG = Math.ceil(cols / g);
  assertClose(`${name} scales`, await q.scales!.readF32(), ref.scales, 1e-6);
  assertClose(`${name} zeros`, await q.zeros!.readF32(), ref.zeros, 0);
  compareCodes(name, (await q.codes!.read()) as Uint32Array, ref.codes, w, cols, ref.scales, nG, g);
  const deq = dequantizeWeight(gpu, q as GpuQuantized, spec, cols);
  // The dequantized weights from stored codes equal the fused fake-quant output.
  const fused = await q.deq!.readF32();
  const fromCodes = await deq.readF32();
  if (!colScale) assertClose(`${name} dequant from codes`, fromCodes, fused, 1e-6);
  const refDeq = colScale ? ref.deq.map((v, i) => v / colScale[i % cols]) : ref.deq;
  assertClose(`${name} fake-quant`, fused, refDeq, 2e-3); // a tie flips one step: allow one step in rare cases
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'asymmetric groups incl. ragged last group, all bit widths'(gpu) {
    for (const bits of [2, 3, 4, 8]) await check(gpu, 13, 172, { bits, groupSize: 32, symmetric: false }, randn(13 * 172, bits));
  },
  async 'per-channel and symmetric'(gpu) {
    await check(gpu, 9, 64, { bits: 4, groupSize: 0, symmetric: false }, randn(9 * 64, 7));
    await check(gpu, 9, 70, { bits: 3, groupSize: 32, symmetric: true }, randn(9 * 70, 8));
  },
  async 'constant and all-zero groups'(gpu) {
    const w = new Float32Array(4 * 64);
    for (let i = 64; i < 128; i++) w[i] = 0.75; // row 1 constant
    for (let i = 128; i < 256; i++) w[i] = Math.sin(i);
    await check(gpu, 4, 64, { bits: 2, groupSize: 32, symmetric: false }, w);
    await check(gpu, 4, 64, { bits: 4, groupSize: 16, symmetric: true }, w);
  },
  async 'with a per-column scale (AWQ/TEQ form)'(gpu) {
    const cs = new Float32Array(48).map((_, i) => 0.5 + (i % 7) * 0.25);
    await check(gpu, 5, 48, { bits: 3, groupSize: 16, symmetric: false }, randn(5 * 48, 11), cs);
  },
};

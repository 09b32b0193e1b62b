// Row ranges of one buffer (Tensor.splitRows, rowViews, spanRows): where they bind, who gives the
// buffer back, and that the runtime's caches and kept copies tell two ranges of one buffer apart.
// On a fake device (no GPU): what is bound and given back is recorded and checked.
import { describe, expect, it } from 'vitest';
import { defineKernel } from './kernel';
import { fakeGpu } from './testing/fake-device';
import { inPlace, rowsSplittable, spanRows } from './tensor';
import { add } from '../ops/elementwise';

const HARDEN = defineKernel({ shader: 'tesseraq-harden', uniforms: { n: 'u32', all: 'u32' }, bindings: { v: 'read', state: 'write', thr: 'read' } });

describe('row ranges of one buffer', () => {
  it('split at the binding alignment, and bind each range at its offset', () => {
    const { gpu, calls } = fakeGpu();
    // 64 f32 columns = 256 bytes a row: any row boundary is aligned; 8 columns (32 bytes) only every 8 rows
    expect(rowsSplittable(gpu, [5, 64], 'f32', [2, 3])).toBe(true);
    expect(rowsSplittable(gpu, [24, 8], 'f32', [8, 16])).toBe(true);
    expect(rowsSplittable(gpu, [24, 8], 'f32', [4, 20])).toBe(false);
    expect(() => gpu.tensor([24, 8]).splitRows([4, 20])).toThrow(/alignment/);
    expect(() => gpu.tensor([5, 64]).splitRows([2, 2])).toThrow(/do not add up to 5/);
    const [a, b] = gpu.tensor([5, 64], 'f32', 'ab').splitRows([2, 3], ['a', 'b']);
    expect([a.shape, a.offset, a.byteLength, b.shape, b.offset, b.byteLength]).toEqual([[2, 64], 0, 512, [3, 64], 512, 768]);
    const thr = gpu.tensor([1], 'u32');
    const state = gpu.tensor([64], 'u32');
    const harden = (v: typeof a) => gpu.dispatch(HARDEN, { params: { WG: 64 }, uniforms: { n: 64, all: 0 }, bindings: { v, state, thr }, workgroups: [1] });
    harden(a);
    harden(b);
    harden(a);
    // one bind group per range (same buffer, other offset), found again for the same range
    expect(gpu.bindGroupCount).toBe(2);
    const bound = calls.bindGroups.map((g) => g.entries[1].resource as GPUBufferBinding).map((r) => [r.offset, r.size]);
    expect(bound).toEqual([
      [0, 512],
      [512, 768],
    ]);
    // the span of both, in order, is the whole; out of order or from two buffers it is none
    const span = spanRows([a, b])!;
    expect([span.buffer, span.offset, span.shape]).toEqual([a.buffer, 0, [5, 64]]);
    expect(spanRows([b, a])).toBeNull();
    expect(spanRows([a, gpu.tensor([3, 64])])).toBeNull();
  });

  it('give the buffer back when the last range is released; views and spans own nothing', () => {
    const { gpu } = fakeGpu();
    const whole = gpu.tensor([4, 64], 'f32', 'whole');
    const [a, b] = whole.splitRows([1, 3]);
    whole.release(); // spent by the split: nothing happens
    const span = spanRows([a, b])!;
    span.release();
    a.release();
    expect(gpu.tensor([4, 64]).buffer).not.toBe(a.buffer); // still held by b
    b.release();
    expect(gpu.tensor([4, 64]).buffer).toBe(a.buffer);
    // rowViews of a tensor borrow: the tensor keeps its buffer until it is released
    const t = gpu.tensor([4, 64]);
    const [v0, v1] = t.rowViews([2, 2]);
    v0.release();
    v1.release();
    expect(gpu.tensor([4, 64]).buffer).not.toBe(t.buffer);
    t.release();
    expect(gpu.tensor([4, 64]).buffer).toBe(t.buffer);
  });

  it('keep f16 copies per range, and a write through any range drops the copies of all', () => {
    const { gpu } = fakeGpu({}, true);
    gpu.copies.maxBytes = 1 << 20;
    const [a, b] = gpu.tensor([4, 64], 'f32').splitRows([2, 2]);
    const ca = gpu.tensor([2, 64], 'f16');
    const cb = gpu.tensor([2, 64], 'f16');
    expect(gpu.copies.put(a, 'f16', ca)).toBe(true);
    // same buffer, dtype and size, another offset: b's copy is not a's
    expect(gpu.copies.get(b, 'f16')).toBeUndefined();
    expect(gpu.copies.put(b, 'f16', cb)).toBe(true);
    expect([gpu.copies.get(a, 'f16'), gpu.copies.get(b, 'f16')]).toEqual([ca, cb]);
    gpu.clear(b);
    expect([gpu.copies.get(a, 'f16'), gpu.copies.get(b, 'f16')]).toEqual([undefined, undefined]);
  });

  it('an elementwise op refuses to read one range and write another of the same buffer', () => {
    const { gpu } = fakeGpu();
    const [a, b] = gpu.tensor([2, 64], 'f32').splitRows([1, 1]);
    expect(inPlace('op', a, a)).toBe(true);
    expect(inPlace('op', a, gpu.tensor([1, 64]))).toBe(false);
    expect(() => add(gpu, a, gpu.tensor([1, 64]), b)).toThrow(/different ranges of one buffer/);
  });
});

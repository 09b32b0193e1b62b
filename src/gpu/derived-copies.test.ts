// The registry of derived copies, driven through the runtime's real write paths (dispatch bindings,
// copy, clear, write, release) on a fake device: every path that may change a source drops its copy
// and gives the copy's buffer back, reads do not, and the byte bound evicts least recently used first.
import { describe, expect, it } from 'vitest';
import { fakeGpu } from './testing/fake-device';
import { defineKernel } from './kernel';
import type { Gpu } from './gpu';
import type { Tensor } from './tensor';

// two real kernels: one writing its only binding, one reading `src` and writing `out` and `overflow`
const CLAMP_MIN = defineKernel({ shader: 'clamp-min', uniforms: { n: 'u32', lo: 'f32' }, bindings: { x: 'write' } });
const CAST = defineKernel({ shader: 'cast-f16', uniforms: { n: 'u32', slot: 'u32' }, bindings: { src: 'read', out: 'write', overflow: 'write' } });

function setup(maxBytes = 1 << 20) {
  const { gpu } = fakeGpu();
  gpu.copies.maxBytes = maxBytes;
  const src = gpu.tensor([64, 16], 'f32', 'src');
  const copy = gpu.tensor([64, 16], 'f16', 'src.f16');
  expect(gpu.copies.put(src, 'f16', copy)).toBe(true);
  return { gpu, src, copy };
}

const clampMin = (gpu: Gpu, x: Tensor | GPUBuffer, n: number) =>
  gpu.dispatch(CLAMP_MIN, { params: { WG: 64 }, uniforms: { n, lo: 0 }, bindings: { x }, workgroups: [1] });

describe('derived copies', () => {
  it('finds a copy by its source and any view of it, and nothing for another tensor or kind', () => {
    const { gpu, src, copy } = setup();
    expect(gpu.copies.get(src, 'f16')).toBe(copy);
    expect(gpu.copies.get(src.view([1024]), 'f16')).toBe(copy);
    expect(gpu.copies.get(gpu.tensor([64, 16]), 'f16')).toBeUndefined();
    expect(gpu.copies.get(src, 'bf16')).toBeUndefined();
    expect(gpu.copies.bytes).toBe(2048);
  });

  it('a dispatch that writes the source (through a view, or its raw buffer) drops the copy and gives its buffer back', () => {
    for (const target of ['tensor', 'view', 'buffer'] as const) {
      const { gpu, src } = setup();
      const live = gpu.pool.liveBytes;
      clampMin(gpu, target === 'tensor' ? src : target === 'view' ? src.view([1024]) : src.buffer, 1024);
      expect(gpu.copies.get(src, 'f16')).toBeUndefined();
      expect(gpu.copies.size).toBe(0);
      expect(gpu.copies.bytes).toBe(0);
      expect(gpu.pool.liveBytes).toBe(live - 2048); // the copy's 2 KiB buffer is back in the pool
    }
  });

  it('a dispatch that only reads the source keeps the copy; its written bindings lose theirs', () => {
    const { gpu, src, copy } = setup();
    const out = gpu.tensor([64, 16], 'f16');
    const overflow = gpu.tensor([1], 'u32');
    const outCopy = gpu.tensor([2], 'f32');
    gpu.copies.put(out, 'x', outCopy);
    gpu.dispatch(CAST, { params: { WG: 64 }, uniforms: { n: 1024, slot: 0 }, bindings: { src, out, overflow }, workgroups: [16] });
    expect(gpu.copies.get(src, 'f16')).toBe(copy);
    expect(gpu.copies.get(out, 'x')).toBeUndefined();
    // other written dispatches leave it alone too
    clampMin(gpu, gpu.tensor([8]), 8);
    expect(gpu.copies.get(src, 'f16')).toBe(copy);
  });

  it('copy into the source, clear and CPU writes drop it; copying from the source keeps it', () => {
    const paths: [string, (gpu: Gpu, src: Tensor) => void, boolean][] = [
      ['copy from', (gpu, src) => gpu.copy(src, gpu.tensor(src.shape)), true],
      ['clone', (gpu, src) => gpu.clone(src), true],
      ['read', (_gpu, src) => void src.read(), true],
      ['copy into', (gpu, src) => gpu.copy(gpu.tensor([4]), src, 0, 100, 4), false],
      ['clear', (gpu, src) => gpu.clear(src), false],
      ['clear a view', (gpu, src) => gpu.clear(src.view([16, 64])), false],
      ['write', (gpu, src) => gpu.write(src, new Float32Array(3), 7), false],
    ];
    for (const [name, run, keeps] of paths) {
      const { gpu, src, copy } = setup();
      run(gpu, src);
      expect(gpu.copies.get(src, 'f16'), name).toBe(keeps ? copy : undefined);
    }
  });

  it('releasing the source (or a view of it) drops the copy; the recycled buffer comes back without one', () => {
    for (const viaView of [false, true]) {
      const { gpu, src } = setup();
      const live = gpu.pool.liveBytes;
      (viaView ? src.view([1024]) : src).release();
      expect(gpu.copies.size).toBe(0);
      expect(gpu.pool.liveBytes).toBe(live - 4096 - 2048);
      const again = gpu.tensor([64, 16]);
      expect(again.buffer).toBe(src.buffer); // the pool hands the same buffer out again
      expect(gpu.copies.get(again, 'f16')).toBeUndefined();
    }
  });

  it('keeps at most maxBytes, dropping the least recently used first but never one in use', () => {
    const { gpu } = fakeGpu();
    gpu.copies.maxBytes = 3000;
    const srcs = [0, 1, 2, 3].map(() => gpu.tensor([256]));
    const copies = srcs.map(() => gpu.tensor([512], 'f16')); // 1 KiB each
    expect(gpu.copies.put(srcs[0], 'f16', copies[0])).toBe(true);
    expect(gpu.copies.put(srcs[1], 'f16', copies[1])).toBe(true);
    expect(gpu.copies.get(srcs[0], 'f16')).toBe(copies[0]); // 0 is now the most recent
    expect(gpu.copies.put(srcs[2], 'f16', copies[2])).toBe(true); // 3 KiB > 3000 bytes: 1 goes
    expect(gpu.copies.get(srcs[1], 'f16')).toBeUndefined();
    expect(gpu.copies.bytes).toBe(2048);
    // 0 and 2 held by the caller: no room for 3 without them
    expect(gpu.copies.put(srcs[3], 'f16', copies[3], [copies[0], copies[2]])).toBe(false);
    expect(gpu.copies.size).toBe(2);
    expect(gpu.copies.put(srcs[3], 'f16', copies[3], [copies[2]])).toBe(true);
    expect(gpu.copies.get(srcs[0], 'f16')).toBeUndefined();
    expect(gpu.copies.get(srcs[2], 'f16')).toBe(copies[2]);
    const big = gpu.tensor([4096], 'f16');
    expect(gpu.copies.put(gpu.tensor([4096]), 'f16', big)).toBe(false); // over the bound alone
    gpu.copies.clear();
    expect([gpu.copies.size, gpu.copies.bytes]).toEqual([0, 0]);
  });

  it('keeps nothing by default', () => {
    const { gpu } = fakeGpu();
    expect(gpu.copies.put(gpu.tensor([4]), 'f16', gpu.tensor([4], 'f16'))).toBe(false);
  });
});

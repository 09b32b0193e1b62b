// The runtime's pipeline and bind-group caches, uniform packing and named bindings, on a fake
// device (no GPU): what it creates, binds and writes is recorded and checked.
import { describe, expect, it } from 'vitest';
import { defineKernel } from './kernel';
import { fakeGpu } from './testing/fake-device';

// Real shaders: norm-forward binds bias and meanOut only with LAYERNORM (and its f16 copy with HALF_OUT).
const NORM = defineKernel({
  shader: 'norm-forward',
  uniforms: { T: 'u32', C: 'u32', eps: 'f32', slot: 'u32' },
  bindings: { x: 'read', weight: 'read', y: 'write', rstdOut: 'write', bias: 'read?', meanOut: 'write?', y16: 'write?', overflow: 'write?' },
});
const HARDEN = defineKernel({ shader: 'tesseraq-harden', uniforms: { n: 'u32', all: 'u32' }, bindings: { v: 'read', state: 'write', thr: 'read' } });

function setup() {
  const { gpu, calls } = fakeGpu();
  const t = (n: number, name: string) => gpu.tensor([n], 'f32', name);
  return { gpu, calls, t };
}

describe('pipeline cache', () => {
  it('builds one pipeline per kernel and compile-time parameters, whatever their key order', () => {
    const { gpu, calls, t } = setup();
    const [x, w, y, r] = [t(8, 'x'), t(4, 'w'), t(8, 'y'), t(2, 'r')];
    const run = (params: Record<string, number | boolean>) =>
      gpu.dispatch(NORM, { params, uniforms: { T: 2, C: 4, eps: 1e-5, slot: 0 }, bindings: { x, weight: w, y, rstdOut: r }, workgroups: [2] });
    run({ WG: 64, LAYERNORM: false });
    run({ LAYERNORM: false, WG: 64 });
    expect(gpu.pipelineCount).toBe(1);
    run({ WG: 128, LAYERNORM: false });
    run({ WG: 64 }); // a missing #if key is another variant (same code, but the key differs)
    expect(gpu.pipelineCount).toBe(3);
    expect(calls.pipelines).toEqual(['norm-forward.wgsl|LAYERNORM=false,WG=64', 'norm-forward.wgsl|LAYERNORM=false,WG=128', 'norm-forward.wgsl|WG=64']);
    expect(calls.shaderModules[1]).toContain('@workgroup_size(128)');
    // each order found again: no new pipeline
    run({ LAYERNORM: false, WG: 128 });
    run({ WG: 64, LAYERNORM: false });
    expect(gpu.pipelineCount).toBe(3);
  });

  it('keeps a string parameter apart from the number or boolean it spells', () => {
    const { gpu, calls, t } = setup();
    const [x, w, y, r] = [t(8, 'x'), t(4, 'w'), t(8, 'y'), t(2, 'r')];
    const run = (params: Record<string, number | boolean | string>) =>
      gpu.dispatch(NORM, { params, uniforms: { T: 2, C: 4, eps: 1e-5, slot: 0 }, bindings: { x, weight: w, y, rstdOut: r }, workgroups: [2] });
    run({ WG: 64, LAYERNORM: false });
    run({ WG: '64', LAYERNORM: false });
    run({ WG: '64', LAYERNORM: false });
    run({ WG: 64, LAYERNORM: false });
    expect(gpu.pipelineCount).toBe(2);
    expect(calls.pipelines.length).toBe(2);
  });

  it('checks the declaration when the pipeline is built, naming kernel, variant and field', () => {
    const { gpu, t } = setup();
    const swapped = defineKernel({ shader: 'norm-forward', uniforms: { C: 'u32', T: 'u32', eps: 'f32', slot: 'u32' }, bindings: NORM.bindings });
    const [x, w, y, r] = [t(8, 'x'), t(4, 'w'), t(8, 'y'), t(2, 'r')];
    expect(() =>
      gpu.dispatch(swapped, { params: { WG: 64 }, uniforms: { T: 2, C: 4, eps: 0, slot: 0 }, bindings: { x, weight: w, y, rstdOut: r }, workgroups: [1] }),
    ).toThrow('kernel norm-forward (WG=64): uniform 0 is declared "C" but norm-forward.wgsl\'s Params field 0 is "T"');
    expect(gpu.pipelineCount).toBe(0);
  });
});

describe('dispatch by name', () => {
  it('binds buffers in the WGSL binding order whatever the order of the names', () => {
    const { gpu, calls, t } = setup();
    const [x, w, y, r, b, m] = [t(8, 'x'), t(4, 'w'), t(8, 'y'), t(2, 'r'), t(4, 'b'), t(2, 'm')];
    gpu.dispatch(NORM, {
      params: { WG: 64, LAYERNORM: true },
      uniforms: { eps: 1e-5, C: 4, T: 2, slot: 0 },
      bindings: { meanOut: m, bias: b, rstdOut: r, y, weight: w, x },
      workgroups: [2],
    });
    const entries = calls.bindGroups[0].entries;
    expect(entries.map((e) => e.binding)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(entries.slice(1).map((e) => ((e.resource as GPUBufferBinding).buffer as unknown as { label: string }).label)).toEqual([
      'x',
      'w',
      'y',
      'r',
      'b',
      'm',
    ]);
  });

  it('packs uniforms by the declared types in struct order, one 256-byte ring slot per dispatch', () => {
    const { gpu, calls, t } = setup();
    const [x, w, y, r] = [t(8, 'x'), t(4, 'w'), t(8, 'y'), t(2, 'r')];
    const args = { params: { WG: 64, LAYERNORM: false }, bindings: { x, weight: w, y, rstdOut: r }, workgroups: [2] as [number] };
    gpu.dispatch(NORM, { ...args, uniforms: { eps: 0.1, T: 3, C: 4, slot: 9 } });
    gpu.dispatch(NORM, { ...args, uniforms: { T: 0xffffffff, C: 7, eps: -2, slot: 0 } });
    gpu.flush();
    const ring = calls.writes.find((w) => w.label === 'uniform-ring')!;
    expect(ring.data.byteLength).toBe(512);
    const dv = new DataView(ring.data);
    expect([dv.getUint32(0, true), dv.getUint32(4, true), dv.getFloat32(8, true), dv.getUint32(12, true)]).toEqual([3, 4, Math.fround(0.1), 9]);
    expect([dv.getUint32(256, true), dv.getUint32(260, true), dv.getFloat32(264, true)]).toEqual([0xffffffff, 7, -2]);
    expect(calls.dispatches.map((d) => d.offsets)).toEqual([[0], [256]]);
  });

  it('rejects a missing, an extra or a misnamed binding or uniform, and a u32 that is not one', () => {
    const { gpu, t } = setup();
    const [x, w, y, r, b] = [t(8, 'x'), t(4, 'w'), t(8, 'y'), t(2, 'r'), t(4, 'b')];
    const u = { T: 2, C: 4, eps: 0, slot: 0 };
    const params = { WG: 64, LAYERNORM: false };
    const go = (args: object) => () =>
      gpu.dispatch(NORM, { params, uniforms: u, bindings: { x, weight: w, y, rstdOut: r }, workgroups: [1], label: 'rms', ...args } as never);
    expect(go({ bindings: { x, weight: w, y } })).toThrow('rms: norm-forward.wgsl binds x, weight, y, rstdOut; missing: rstdOut');
    expect(go({ bindings: { x, weight: w, y, rstdOut: r, bias: b } })).toThrow('not bound by this variant: bias');
    expect(go({ uniforms: { T: 2, C: 4, epsilon: 0, slot: 0 } })).toThrow('rms: uniform "eps" of norm-forward.wgsl not given (given: T, C, epsilon, slot)');
    expect(go({ uniforms: { T: 2, C: 4, eps: 0, slot: 0, n: 1 } })).toThrow(
      'rms: uniforms {T, C, eps, slot, n} given, norm-forward.wgsl takes {T, C, eps, slot}',
    );
    expect(go({ uniforms: { T: 2.5, C: 4, eps: 0, slot: 0 } })).toThrow('rms: uniform "T" of norm-forward.wgsl is u32 but got 2.5');
    expect(go({ uniforms: { T: -1, C: 4, eps: 0, slot: 0 } })).toThrow('is u32 but got -1');
    expect(go({ uniforms: undefined })).toThrow('takes uniforms {T, C, eps, slot} but none were given');
    expect(go({})).not.toThrow();
  });
});

describe('bind-group cache', () => {
  it('hits for the same buffers and bound sizes, misses for another buffer or size', () => {
    const { gpu, t } = setup();
    const v = t(16, 'v');
    const state = gpu.tensor([16], 'u32', 'state');
    const thr = gpu.tensor([1], 'u32', 'thr');
    const harden = (thrT = thr, n = 16) =>
      gpu.dispatch(HARDEN, { params: { WG: 64 }, uniforms: { n, all: 0 }, bindings: { v, state, thr: thrT }, workgroups: [1] });
    harden();
    harden(thr, 8); // uniforms are a dynamic offset: not part of the key
    expect(gpu.bindGroupCount).toBe(1);
    const thr2 = gpu.tensor([1], 'u32', 'thr2');
    harden(thr2);
    expect(gpu.bindGroupCount).toBe(2);
    harden(thr);
    expect(gpu.bindGroupCount).toBe(2);
    // the same pooled buffer handed out again hits: a training loop creates its bind groups once
    thr2.release();
    const again = gpu.tensor([1], 'u32', 'thr3');
    expect(again.buffer).toBe(thr2.buffer);
    harden(again);
    expect(gpu.bindGroupCount).toBe(2);
    // a view of a different byte length over the same buffer is another binding
    const wider = gpu.tensor([2], 'u32', 'thr4');
    expect(wider.buffer).not.toBe(thr.buffer);
    harden(wider);
    expect(gpu.bindGroupCount).toBe(3);
  });

  it('shares a bind group layout between kernels with the same binding signature', () => {
    const { gpu, calls, t } = setup();
    const SOFTMAX = defineKernel({ shader: 'softmax', uniforms: { rows: 'u32', cols: 'u32' }, bindings: { x: 'read', out: 'write' } });
    const ROWS = defineKernel({ shader: 'reduce-rows', uniforms: { rows: 'u32', cols: 'u32' }, bindings: { x: 'read', out: 'write' } });
    const [x, out] = [t(8, 'x'), t(8, 'out')];
    gpu.dispatch(SOFTMAX, { params: { WG: 32, LSE: false }, uniforms: { rows: 2, cols: 4 }, bindings: { x, out }, workgroups: [2] });
    gpu.dispatch(ROWS, { params: { WG: 32 }, uniforms: { rows: 2, cols: 4 }, bindings: { x, out }, workgroups: [2] });
    expect(gpu.pipelineCount).toBe(2);
    expect(gpu.bindGroupCount).toBe(1);
    expect(calls.dispatches.length).toBe(2);
  });
});

describe('kernel timer', () => {
  it('gives sampled dispatches a timed pass each and lets the others share one pass', async () => {
    const { gpu, calls } = fakeGpu(undefined, false, true);
    const [x, w, y, r] = [8, 4, 8, 2].map((n, i) => gpu.tensor([n], 'f32', `t${i}`));
    const run = () =>
      gpu.dispatch(NORM, {
        params: { WG: 64, LAYERNORM: false },
        uniforms: { T: 2, C: 4, eps: 1e-5, slot: 0 },
        bindings: { x, weight: w, y, rstdOut: r },
        workgroups: [2],
      });
    for (let i = 0; i < 5; i++) run();
    gpu.flush(); // resolves the five timestamps; their read is pending
    expect(calls.passes).toEqual(['timed', 'timed', 'timed', 'timed', 'timed']);
    calls.passes.length = 0;
    for (let i = 0; i < 5; i++) run(); // not sampled while the read is pending: one shared pass
    expect(calls.passes).toEqual(['plain']);
    await gpu.sync(); // the read is collected: sampling starts again
    calls.passes.length = 0;
    run();
    run();
    expect(calls.passes).toEqual(['timed', 'timed']);
    expect(calls.dispatches.length).toBe(12);
    expect(gpu.timer!.totals.get('norm-forward.wgsl')?.count).toBe(5);
  });
});

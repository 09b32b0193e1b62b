import { describe, expect, it } from 'vitest';
import { checkKernel, defineKernel, reflectBindings, reflectStruct, type Kernel } from './kernel';
import { preprocessWgsl, type ShaderParams } from './preprocess';
import { shaderSources } from './shader-sources';

const SOURCE = `
// A kernel in the style of shaders/: a uniform struct, storage bindings, one optional.
struct Params { rows: u32, cols: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
#if SCALE
@group(0) @binding(2) var<storage, read> scale: array<f32>;
#endif
@group(0) @binding({{B_OUT}}) var<storage, read_write> out: array<f32>;
/* @group(0) @binding(7) var<storage, read> commentedOut: array<f32>; */
`;

function check(kernel: Kernel, params: ShaderParams = { B_OUT: 2 }) {
  const code = preprocessWgsl('k.wgsl', { 'k.wgsl': SOURCE }, params);
  const variant = Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return checkKernel(kernel, code, SOURCE, reflectBindings(code, 'k.wgsl'), variant);
}

const good = defineKernel({ shader: 'k', uniforms: { rows: 'u32', cols: 'u32', eps: 'f32' }, bindings: { w: 'read', scale: 'read?', out: 'write' } });

describe('reflection', () => {
  it('reads bindings by index with kind, name and type; comments ignored', () => {
    const code = preprocessWgsl('k.wgsl', { 'k.wgsl': SOURCE }, { SCALE: true, B_OUT: 3 });
    expect(reflectBindings(code)).toEqual([
      { kind: 'uniform', name: 'p', type: 'Params' },
      { kind: 'read', name: 'w', type: 'array<f32>' },
      { kind: 'read', name: 'scale', type: 'array<f32>' },
      { kind: 'read_write', name: 'out', type: 'array<f32>' },
    ]);
  });

  it('rejects a binding declared twice and storage at binding 0', () => {
    const twice = '@group(0) @binding(1) var<storage, read> a: array<f32>;\n@group(0) @binding(1) var<storage, read> b: array<f32>;';
    expect(() => reflectBindings(twice, 'x.wgsl')).toThrow('x.wgsl: binding 1 declared twice');
    expect(() => reflectBindings('@group(0) @binding(0) var<storage, read> a: array<f32>;', 'x.wgsl')).toThrow(
      'binding 0 is read; uniforms go at binding 0 only',
    );
  });

  it('reads a struct over several lines with trailing comma and comments', () => {
    const code = 'struct Params {\n  total: u32, // all\n  alpha: f32,\n}';
    expect(reflectStruct(code, 'Params')).toEqual([
      { name: 'total', type: 'u32' },
      { name: 'alpha', type: 'f32' },
    ]);
  });

  it('every kernel in shaders/ has a uniform struct of 4-byte scalars (the runtime packs 4 bytes a field)', () => {
    let kernels = 0;
    for (const [file, src] of Object.entries(shaderSources)) {
      if (!/@compute/.test(src)) continue; // an include
      kernels++;
      const u = /var<uniform>\s*\w+\s*:\s*(\w+)/.exec(src);
      if (u) for (const f of reflectStruct(src, u[1], file)) expect(`${file} ${f.name}: ${f.type}`).toMatch(/: (u32|i32|f32)$/);
    }
    expect(kernels).toBeGreaterThan(40);
  });
});

describe('checkKernel', () => {
  it('accepts a matching declaration and gives the packing and binding order of the variant', () => {
    expect(check(good)).toEqual({ uniformNames: ['rows', 'cols', 'eps'], uniformTypes: ['u32', 'u32', 'f32'], storageNames: ['w', 'out'] });
    expect(check(good, { SCALE: true, B_OUT: 3 }).storageNames).toEqual(['w', 'scale', 'out']);
  });

  it('catches two swapped uniforms of the same type', () => {
    const swapped = defineKernel({ shader: 'k', uniforms: { cols: 'u32', rows: 'u32', eps: 'f32' }, bindings: good.bindings });
    expect(() => check(swapped)).toThrow('kernel k (B_OUT=2): uniform 0 is declared "cols" but k.wgsl\'s Params field 0 is "rows"');
  });

  it('catches a misnamed, mistyped, missing or extra uniform', () => {
    const misnamed = defineKernel({ shader: 'k', uniforms: { rows: 'u32', columns: 'u32', eps: 'f32' }, bindings: good.bindings });
    expect(() => check(misnamed)).toThrow('uniform 1 is declared "columns" but k.wgsl\'s Params field 1 is "cols"');
    const mistyped = defineKernel({ shader: 'k', uniforms: { rows: 'u32', cols: 'u32', eps: 'u32' }, bindings: good.bindings });
    expect(() => check(mistyped)).toThrow('uniform "eps" is declared u32 but k.wgsl has f32');
    const short = defineKernel({ shader: 'k', uniforms: { rows: 'u32', cols: 'u32' }, bindings: good.bindings });
    expect(() => check(short)).toThrow('k.wgsl\'s Params field 2 "eps: f32" is not declared');
    const long = defineKernel({ shader: 'k', uniforms: { rows: 'u32', cols: 'u32', eps: 'f32', n: 'u32' }, bindings: good.bindings });
    expect(() => check(long)).toThrow('uniform "n" is declared but k.wgsl\'s Params has only 3 fields');
  });

  it('catches a binding with the wrong access, an undeclared one, one the WGSL never binds, and a required one a variant lacks', () => {
    const access = defineKernel({ shader: 'k', uniforms: good.uniforms, bindings: { w: 'write', scale: 'read?', out: 'write' } });
    expect(() => check(access)).toThrow('binding "w" is declared write but k.wgsl declares it read');
    const undeclared = defineKernel({ shader: 'k', uniforms: good.uniforms, bindings: { w: 'read', out: 'write' } });
    expect(() => check(undeclared, { SCALE: true, B_OUT: 3 })).toThrow('binding 2 "scale" of k.wgsl is not declared');
    const unknown = defineKernel({ shader: 'k', uniforms: good.uniforms, bindings: { w: 'read', scale: 'read?', out: 'write', bias: 'read?' } });
    expect(() => check(unknown)).toThrow('binding "bias" is declared but k.wgsl binds no such variable');
    const required = defineKernel({ shader: 'k', uniforms: good.uniforms, bindings: { w: 'read', scale: 'read', out: 'write' } });
    expect(() => check(required)).toThrow('binding "scale" is declared always present but this variant of k.wgsl does not bind it');
  });

  it('catches uniforms declared for a kernel without a uniform binding', () => {
    const src = '@group(0) @binding(1) var<storage, read_write> out: array<f32>;';
    const k = defineKernel({ shader: 'k', uniforms: { n: 'u32' }, bindings: { out: 'write' } });
    expect(() => checkKernel(k, src, src, reflectBindings(src))).toThrow('kernel k: declares uniforms {n} but k.wgsl has no uniform at binding 0');
  });

  it('types dispatch arguments by the declaration', () => {
    type Args = Parameters<typeof import('./gpu').Gpu.prototype.dispatch<typeof good.uniforms, typeof good.bindings>>[1];
    const t = {} as import('./tensor').Tensor;
    const ok: Args = { uniforms: { rows: 1, cols: 2, eps: 0.5 }, bindings: { w: t, out: t }, workgroups: [1] };
    // @ts-expect-error a misnamed uniform does not compile
    const misnamed: Args = { uniforms: { rows: 1, columns: 2, eps: 0.5 }, bindings: { w: t, out: t }, workgroups: [1] };
    // @ts-expect-error a required binding left out does not compile
    const missing: Args = { uniforms: { rows: 1, cols: 2, eps: 0.5 }, bindings: { w: t }, workgroups: [1] };
    expect([ok, misnamed, missing].length).toBe(3);
  });
});

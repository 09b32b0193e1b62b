import { describe, expect, it } from 'vitest';
import { preprocessWgsl } from './preprocess';

const lines = (code: string) => code.split('\n').filter((l) => l.trim() !== '');

describe('preprocessWgsl', () => {
  it('inlines an #include once, however often and from wherever it is included', () => {
    const sources = {
      'main.wgsl': '#include "a.wgsl"\n#include "b.wgsl"\nfn main() {}',
      'a.wgsl': '#include "common.wgsl"\nfn a() {}',
      'b.wgsl': '#include "common.wgsl"\nfn b() {}',
      'common.wgsl': 'fn common() {}',
    };
    expect(lines(preprocessWgsl('main.wgsl', sources))).toEqual(['fn common() {}', 'fn a() {}', 'fn b() {}', 'fn main() {}']);
  });

  it('names the including chain when an include is missing', () => {
    const sources = { 'main.wgsl': '#include "a.wgsl"', 'a.wgsl': '#include "gone.wgsl"' };
    expect(() => preprocessWgsl('main.wgsl', sources)).toThrow('shader "gone.wgsl" not found (included from main.wgsl > a.wgsl)');
  });

  it('names the chain of a recursive include, direct or through other files', () => {
    expect(() => preprocessWgsl('m.wgsl', { 'm.wgsl': 'fn m() {}\n#include "m.wgsl"' })).toThrow('recursive #include "m.wgsl" at m.wgsl:2 (m.wgsl > m.wgsl)');
    const sources = { 'm.wgsl': '#include "a.wgsl"', 'a.wgsl': '#include "b.wgsl"', 'b.wgsl': 'fn b() {}\n#include "a.wgsl"' };
    expect(() => preprocessWgsl('m.wgsl', sources)).toThrow('recursive #include "a.wgsl" at b.wgsl:2 (m.wgsl > a.wgsl > b.wgsl > a.wgsl)');
  });

  it('keeps #if / #if ! / #else branches by truthy parameters, nested', () => {
    const src = ['#if A', 'a', '#if !B', 'a-not-b', '#else', 'a-b', '#endif', '#else', 'not-a', '#endif', 'always'].join('\n');
    const run = (params: Record<string, boolean | number>) => lines(preprocessWgsl('m.wgsl', { 'm.wgsl': src }, params));
    expect(run({ A: true, B: false })).toEqual(['a', 'a-not-b', 'always']);
    expect(run({ A: 1, B: 1 })).toEqual(['a', 'a-b', 'always']);
    expect(run({})).toEqual(['not-a', 'always']);
    expect(run({ A: 0, B: true })).toEqual(['not-a', 'always']);
  });

  it('skips an #include inside a false #if', () => {
    const sources = { 'm.wgsl': '#if X\n#include "x.wgsl"\n#endif\nfn main() {}', 'x.wgsl': 'fn x() {}' };
    expect(lines(preprocessWgsl('m.wgsl', sources))).toEqual(['fn main() {}']);
    expect(lines(preprocessWgsl('m.wgsl', sources, { X: true }))).toEqual(['fn x() {}', 'fn main() {}']);
  });

  it('reports unbalanced #else / #endif / #if with file and line', () => {
    expect(() => preprocessWgsl('m.wgsl', { 'm.wgsl': 'x\n#endif' })).toThrow('#endif without #if at m.wgsl:2');
    expect(() => preprocessWgsl('m.wgsl', { 'm.wgsl': '#else' })).toThrow('#else without #if at m.wgsl:1');
    expect(() => preprocessWgsl('m.wgsl', { 'm.wgsl': '#if A\nx' })).toThrow('unterminated #if in m.wgsl');
  });

  it('replaces {{PARAM}} everywhere (included files too), booleans as WGSL literals', () => {
    const sources = { 'm.wgsl': '#include "c.wgsl"\n@workgroup_size({{WG}}) let f = {{FLAG}}; let e = {{EXPR}};', 'c.wgsl': 'const N = {{WG}}u;' };
    const code = preprocessWgsl('m.wgsl', sources, { WG: 64, FLAG: false, EXPR: 'x + y' });
    expect(lines(code)).toEqual(['const N = 64u;', '@workgroup_size(64) let f = false; let e = x + y;']);
  });

  it('names the shader and the parameter a {{PARAM}} needs', () => {
    expect(() => preprocessWgsl('m.wgsl', { 'm.wgsl': 'let x = {{WG}};' })).toThrow('shader "m.wgsl" needs parameter {{WG}}');
  });
});

describe('preprocessWgsl #for', () => {
  it('repeats a block per index, nested, with the count from a parameter', () => {
    const src = ['#for I 2', '#for J N', 'a{{I}}{{J}} = {{I}} * {{J}};', '#endfor', '#endfor', 'done'].join('\n');
    expect(lines(preprocessWgsl('m.wgsl', { 'm.wgsl': src }, { N: 3 }))).toEqual([
      'a00 = 0 * 0;',
      'a01 = 0 * 1;',
      'a02 = 0 * 2;',
      'a10 = 1 * 0;',
      'a11 = 1 * 1;',
      'a12 = 1 * 2;',
      'done',
    ]);
  });

  it('works inside #if and says what is wrong with a bad block', () => {
    const src = ['#if A', '#for I 2', 'x{{I}}', '#endfor', '#endif'].join('\n');
    expect(lines(preprocessWgsl('m.wgsl', { 'm.wgsl': src }, { A: true }))).toEqual(['x0', 'x1']);
    expect(lines(preprocessWgsl('m.wgsl', { 'm.wgsl': src }, { A: false }))).toEqual([]);
    expect(() => preprocessWgsl('m.wgsl', { 'm.wgsl': '#for I 2\nx' })).toThrow('unterminated #for I in m.wgsl');
    expect(() => preprocessWgsl('m.wgsl', { 'm.wgsl': '#for I K\nx\n#endfor' })).toThrow('the count is not a whole number');
    expect(() => preprocessWgsl('m.wgsl', { 'm.wgsl': 'x\n#endfor' })).toThrow('#endfor without #for');
    expect(() => preprocessWgsl('m.wgsl', { 'm.wgsl': '#for I 2 3\nx\n#endfor' })).toThrow(
      'bad #for "#for I 2 3" in m.wgsl (want: #for NAME COUNT or #for NAME in WORD...)',
    );
  });

  it('repeats a block per word of a list, in order, nested with a counted block', () => {
    const src = ['#for T in A B', '#for I 2', 'var r{{T}}{{I}}: {{T}}_TYPE;', '#endfor', 'store{{T}}();', '#endfor'].join('\n');
    expect(lines(preprocessWgsl('m.wgsl', { 'm.wgsl': src }))).toEqual([
      'var rA0: A_TYPE;',
      'var rA1: A_TYPE;',
      'storeA();',
      'var rB0: B_TYPE;',
      'var rB1: B_TYPE;',
      'storeB();',
    ]);
  });

  it('substitutes a list word into #if inside the block (per-word branches)', () => {
    const src = ['#for T in A B', '#if TRANS_{{T}}', '{{T}} col-major', '#else', '{{T}} row-major', '#endif', '#endfor'].join('\n');
    expect(lines(preprocessWgsl('m.wgsl', { 'm.wgsl': src }, { TRANS_A: false, TRANS_B: true }))).toEqual(['A row-major', 'B col-major']);
    expect(lines(preprocessWgsl('m.wgsl', { 'm.wgsl': src }, { TRANS_A: true, TRANS_B: false }))).toEqual(['A col-major', 'B row-major']);
  });
});

// The studio's Content-Security-Policy forbids eval and new Function, in the page and in workers:
// ONNX encoding must work without them (protobufjs' reflected encoders generate code; the
// exporter writes through its Writer instead).
import { describe, expect, it } from 'vitest';
import { encodeModel, decodeModel } from './onnx-proto';

describe('ONNX encoding without code generation', () => {
  it('encodes a model while Function is unavailable, and the bytes decode back', () => {
    const model = {
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'g',
        node: [{ opType: 'Add', input: ['a', 'b'], output: ['c'], name: 'add', domain: '', attribute: [] }],
        input: [{ name: 'a', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }, { dimParam: 'n' }] } } } }],
        output: [],
        initializer: [{ name: 'b', dims: [2, 1], dataType: 1, rawData: new Uint8Array(8) }],
      },
    };
    const original = globalThis.Function;
    let bytes: Uint8Array;
    try {
      globalThis.Function = function () {
        throw new EvalError('code generation is forbidden by the Content-Security-Policy');
      } as unknown as FunctionConstructor;
      bytes = encodeModel(model);
    } finally {
      globalThis.Function = original;
    }
    const back = decodeModel(bytes) as {
      graph: { node: { opType: string }[]; input: { type: { tensorType: { shape: { dim: unknown[] } } } }[]; initializer: { dims: number[] }[] };
    };
    expect(back.graph.node[0].opType).toBe('Add');
    expect(back.graph.input[0].type.tensorType.shape.dim).toEqual([{ dimValue: 2 }, { dimParam: 'n' }]);
    expect(back.graph.initializer[0].dims).toEqual([2, 1]);
  });
});

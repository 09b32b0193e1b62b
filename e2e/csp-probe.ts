// A page built next to the studio for e2e/security.spec.ts: runs onnxruntime-web's WASM backend
// on a one-node model under the studio's Content-Security-Policy, the dependency that needs
// 'wasm-unsafe-eval'. The model is encoded by hand: protobufjs (the exporter's encoder) generates
// its codecs with new Function, which the policy blocks (see the report in src/security/README.md).
import { loadOnnxRuntime } from '../src/export/onnx-runtime';

const enc = new TextEncoder();
function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
  out.push(n);
  return out;
}
const int = (field: number, v: number) => [...varint(field * 8), ...varint(v)];
const bytes = (field: number, b: ArrayLike<number>) => [...varint(field * 8 + 2), ...varint(b.length), ...Array.from(b)];
const str = (field: number, s: string) => bytes(field, enc.encode(s));

/** ValueInfoProto of a float vector of 2: TypeProto.tensor_type {elem_type FLOAT, shape [2]}. */
const vector2 = (name: string) => [...str(1, name), ...bytes(2, bytes(1, [...int(1, 1), ...bytes(2, bytes(1, int(1, 2)))]))];

/** ModelProto: y = x + [1, 2] (opset 17). */
function addModel(): Uint8Array {
  const node = [...str(1, 'x'), ...str(1, 'c'), ...str(2, 'y'), ...str(4, 'Add')];
  const init = [...int(1, 2), ...int(2, 1), ...str(8, 'c'), ...bytes(9, new Uint8Array(new Float32Array([1, 2]).buffer))];
  const graph = [...bytes(1, node), ...str(2, 'add'), ...bytes(5, init), ...bytes(11, vector2('x')), ...bytes(12, vector2('y'))];
  return new Uint8Array([...int(1, 8), ...bytes(7, graph), ...bytes(8, [...str(1, ''), ...int(2, 17)])]);
}

async function runOnnx(): Promise<number[]> {
  const ort = (await loadOnnxRuntime()) as unknown as typeof import('onnxruntime-web');
  const session = await ort.InferenceSession.create(addModel(), { executionProviders: ['wasm'] });
  try {
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([10, 20]), [2]) });
    return Array.from(out.y.data as Float32Array);
  } finally {
    await session.release();
  }
}

(window as unknown as { cspProbe: unknown }).cspProbe = { runOnnx };
document.getElementById('log')!.textContent = 'ready';

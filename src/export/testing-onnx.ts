// Test helper: an exported ONNX model run in onnxruntime (WASM), the logits of one sequence.
import * as ort from 'onnxruntime-web';

/** Logits [1, ids.length, vocab] of the model's `input_ids` -> `logits` graph on the WASM provider. */
export async function onnxLogits(bytes: Uint8Array, ids: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const out = await s.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]) });
  const data = out.logits.data as Float32Array;
  await s.release();
  return data;
}

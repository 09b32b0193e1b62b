// The checkpoint cases (testing/hf-checkpoint-cases.ts) against real transformers: logits and token
// ids that transformers 5.17 (torch 2.11, float64) gave for the same folders, stored in
// test/fixtures/transformers-reference by scripts/transformers-reference.py. The studio's loader and
// its float64 forward (reference/model.ts, which the GPU kernels are tested against) must give the
// same tokens and the same logits. transformers computes RoPE's angles in float32 even in a float64
// model, so the LLaMA family agrees to about 1e-7 of the largest logit (OPT, without RoPE, to 1e-15);
// the logits are stored as f32, another 6e-8.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoadedModel } from '../core/model-config';
import { allWeights, maxRelErr } from '../export/testing';
import { forwardRef } from '../reference/model';
import { loadModelFromFiles } from './load';
import { CHECKPOINT_CASES, SHORT_WINDOW_CASES } from './testing/hf-checkpoint-cases';
import { writeCheckpoint } from './testing/hf-checkpoint';

const DIR = resolve(__dirname, '../../test/fixtures/transformers-reference');
interface ReferenceCase {
  architecture: string;
  ids: number[];
  text: number[];
  long: number[];
  offset: number;
  shape: [number, number];
}
const manifest = JSON.parse(readFileSync(resolve(DIR, 'cases.json'), 'utf8')) as { text: string; long: string; cases: Record<string, ReferenceCase> };
const raw = readFileSync(resolve(DIR, 'logits.f32'));
const logits = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);

const TOLERANCE = 5e-7;

async function oracleLogits(m: LoadedModel, ids: number[], cfg = m.weights.config): Promise<Float64Array> {
  return forwardRef(cfg, await allWeights(m), ids, 1, ids.length);
}

describe('the checkpoint cases against transformers 5.17', () => {
  it('has a reference for every case', () => {
    expect([...CHECKPOINT_CASES, ...SHORT_WINDOW_CASES].filter((k) => !manifest.cases[k.name]).map((k) => k.name)).toEqual([]);
  });

  describe.each(CHECKPOINT_CASES.filter((k) => manifest.cases[k.name]))('$name', (k) => {
    const ref = manifest.cases[k.name];
    let model: LoadedModel;

    it("tokenizes as transformers' AutoTokenizer does", async () => {
      model = await loadModelFromFiles(writeCheckpoint(k).files);
      expect(ref.architecture).toBe((k.config.architectures as string[])[0]);
      expect(model.tokenizer.encode(manifest.text)).toEqual(ref.text);
      expect(model.tokenizer.encode(manifest.long)).toEqual(ref.long);
      expect([model.weights.config.bosId, ...ref.text].slice(0, 12)).toEqual(ref.ids);
    });

    it("gives transformers' logits", async () => {
      const want = logits.subarray(ref.offset, ref.offset + ref.shape[0] * ref.shape[1]);
      expect(maxRelErr(await oracleLogits(model, ref.ids), want)).toBeLessThan(TOLERANCE);
    });
  });

  describe.each(SHORT_WINDOW_CASES.filter((k) => manifest.cases[k.name]))('$name (window 8, 12 tokens)', (k) => {
    it("gives transformers' logits up to the window, and past it differs from the windowed model (so runs there are refused)", async () => {
      const ref = manifest.cases[k.name];
      const m = await loadModelFromFiles(writeCheckpoint(k).files);
      expect(m.weights.config.slidingWindow).toBe(8);
      const [T, V] = ref.shape;
      const want = logits.subarray(ref.offset, ref.offset + T * V);
      expect(maxRelErr(await oracleLogits(m, ref.ids.slice(0, 8)), want.subarray(0, 8 * V))).toBeLessThan(TOLERANCE);
      expect(maxRelErr(await oracleLogits(m, ref.ids), want)).toBeGreaterThan(100 * TOLERANCE);
    });
  });

  it("would see RoPE turning interleaved pairs (llama2.c's layout) instead of halves: the tolerance is far below what a wrong model gives", async () => {
    const k = CHECKPOINT_CASES.find((c) => c.name === 'Llama-3.2-style-v5')!;
    const ref = manifest.cases[k.name];
    const m = await loadModelFromFiles(writeCheckpoint(k).files);
    const want = logits.subarray(ref.offset, ref.offset + ref.shape[0] * ref.shape[1]);
    const wrong = await oracleLogits(m, ref.ids, { ...m.weights.config, ropeStyle: 'interleaved' });
    expect(maxRelErr(wrong, want)).toBeGreaterThan(100 * TOLERANCE);
  });
});

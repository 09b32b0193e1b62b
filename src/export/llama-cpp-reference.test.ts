// The GGUF exports (testing-gguf.ts: RTN W4 g32 of every checkpoint case and of stories260K) against
// real llama.cpp: the token ids and logits that llama.cpp computed from the same files (node-llama-cpp
// on the CPU), stored in test/fixtures/llama-cpp-reference by scripts/llama-cpp-reference.mjs.
// Each file must be the one llama.cpp ran (same bytes), the studio's reading of it must tokenize both
// texts as llama.cpp does, and its float64 forward must give llama.cpp's logits within what
// llama.cpp's own arithmetic leaves: its CPU multiplies a Q4_1 Linear with 8-bit inputs (Q8_1 blocks
// of 32) and keeps attention in f16. Measured: 1.1e-4 to 1.2e-2 of the largest logit; the same
// weights written as F32 come within 3e-4 to 1e-3, so most of it is the 8-bit inputs. The unquantized
// source model is 9 to 22 times further from llama.cpp's logits, so the check also sees that
// llama.cpp computes with the quantized weights the studio wrote.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadedModel } from '../core/model-config';
import { fixture } from '../formats/testing/fixtures';
import { forwardRef } from '../reference/model';
import { allWeights, maxRelErr } from './testing';
import { ggufExportCases, LLAMA_CPP_TEXTS, readGgufExport, type GgufExportCase } from './testing-gguf';

const DIR = resolve(__dirname, '../../test/fixtures/llama-cpp-reference');
interface ReferenceCase {
  gguf: string;
  ids: number[];
  text: number[];
  long: number[];
  offset: number;
  shape: [number, number];
}
const manifest = JSON.parse(readFileSync(resolve(DIR, 'cases.json'), 'utf8')) as {
  llamaCpp: string;
  texts: typeof LLAMA_CPP_TEXTS;
  cases: Record<string, ReferenceCase>;
};
const raw = readFileSync(resolve(DIR, 'logits.f32'));
const logits = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const RERUN = 'the GGUF export changed since llama.cpp ran it: run scripts/llama-cpp-reference.mjs again (its first lines say how)';

/** Of the largest logit: over llama.cpp's 8-bit inputs and f16 attention, under any wrong model. */
const TOLERANCE = 2e-2;
/** The export's distance from llama.cpp against the unquantized source's: measured 0.045-0.11. */
const CLOSER_THAN_SOURCE = 0.2;

const cases: GgufExportCase[] = [];
/** The studio's reading of each export, read once for every check below. */
const read = new Map<string, LoadedModel>();
beforeAll(async () => {
  for await (const c of ggufExportCases(fixture('models/stories260K.gguf'))) {
    cases.push(c);
    if (c.gguf) read.set(c.name, await readGgufExport(c.name, c.gguf));
  }
}, 120_000);

function oracle(m: LoadedModel, ids: number[]): Promise<Float64Array> {
  return allWeights(m).then((w) => forwardRef(m.weights.config, w, ids, 1, ids.length));
}

describe(`the GGUF exports in llama.cpp (${manifest.llamaCpp})`, () => {
  it('has a reference for every GGUF export, and each is the file llama.cpp ran', () => {
    expect(manifest.texts).toEqual(LLAMA_CPP_TEXTS);
    const exported = cases.filter((c) => c.gguf);
    expect(exported.map((c) => c.name).sort()).toEqual(Object.keys(manifest.cases).sort());
    expect(exported.length).toBeGreaterThanOrEqual(27);
    for (const c of exported) expect(createHash('sha256').update(c.gguf!).digest('hex'), `${c.name}: ${RERUN}`).toBe(manifest.cases[c.name].gguf);
  });

  it('tokenizes both texts as llama.cpp does, from the vocabulary the export embeds', () => {
    for (const c of cases.filter((c) => c.gguf)) {
      const ref = manifest.cases[c.name];
      const m = read.get(c.name)!;
      expect(m.tokenizer.encode(LLAMA_CPP_TEXTS.text), c.name).toEqual(ref.text);
      expect(m.tokenizer.encode(LLAMA_CPP_TEXTS.long), c.name).toEqual(ref.long);
      // llama.cpp's BOS is the one the studio reads (and scores text after)
      expect(ref.ids[0], c.name).toBe(m.weights.config.bosId);
    }
  });

  it("gives llama.cpp's logits, much closer than the unquantized model does", async () => {
    for (const c of cases.filter((c) => c.gguf)) {
      const ref = manifest.cases[c.name];
      const want = logits.subarray(ref.offset, ref.offset + ref.shape[0] * ref.shape[1]);
      const m = read.get(c.name)!;
      expect(m.weights.config.vocab).toBe(ref.shape[1]);
      const err = maxRelErr(await oracle(m, ref.ids), want);
      const sourceErr = maxRelErr(await oracle(c.source, ref.ids), want);
      expect(err, c.name).toBeLessThan(TOLERANCE);
      expect(err, c.name).toBeLessThan(CLOSER_THAN_SOURCE * sourceErr);
    }
  }, 60_000);

  it('would see a wrong rotary layout in the trained stories260K: the tolerance is far below what a wrong model gives', async () => {
    const c = cases.find((c) => c.name === 'stories260K')!;
    const ref = manifest.cases[c.name];
    const m = read.get(c.name)!;
    const cfg = { ...m.weights.config, ropeStyle: m.weights.config.ropeStyle === 'half' ? ('interleaved' as const) : ('half' as const) };
    const wrong = forwardRef(cfg, await allWeights(m), ref.ids, 1, ref.ids.length);
    expect(maxRelErr(wrong, logits.subarray(ref.offset, ref.offset + ref.shape[0] * ref.shape[1]))).toBeGreaterThan(10 * TOLERANCE);
  });
});

// The float64 oracle reproduces the reference values of test/fixtures/README.md for the bundled
// stories260K (llama2.c file).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { bytesSource } from '../formats/byte-source';
import { loadLlama2c } from '../formats/llama2c';
import { forwardRef, windowNllRef } from './model';
import { evaluationWindows } from '../eval/windows';

const fixture = (f: string) => new Uint8Array(readFileSync(new URL(`../../public/${f}`, import.meta.url)));

describe('float64 reference forward on stories260K', async () => {
  const model = await loadLlama2c(bytesSource('stories260K.bin', fixture('models/stories260K.bin')), bytesSource('tok512.bin', fixture('models/tok512.bin')));
  const cfg = model.weights.config;
  const cache = new Map<string, Float32Array>();
  for (const name of model.weights.shapes.keys()) cache.set(name, await model.weights.get(name));
  const w = (n: string) =>
    cache.get(n) ??
    (() => {
      throw new Error(`no ${n}`);
    })();

  it('top-5 logits after BOS match test/fixtures/README.md', () => {
    const l = forwardRef(cfg, w, [1], 1, 1);
    const top = Array.from(l.keys())
      .sort((a, b) => l[b] - l[a])
      .slice(0, 5);
    expect(top).toEqual([403, 385, 410, 317, 407]);
    expect(l[403]).toBeCloseTo(17.0235, 3);
    expect(l[407]).toBeCloseTo(12.4181, 3);
  });

  it('perplexity of the first 40 TinyStories windows is 4.068', () => {
    const text = new TextDecoder().decode(fixture('data/tinystories_val.txt')).slice(0, 200_000);
    const tokens = [1, ...model.tokenizer.encode(text)];
    let nll = 0,
      count = 0;
    for (const win of evaluationWindows(tokens, 512, 40)) {
      const r = windowNllRef(cfg, w, win);
      nll += r.nll;
      count += r.count;
    }
    expect(count).toBe(20_440);
    expect(Math.exp(nll / count)).toBeCloseTo(4.068, 2);
    expect(Math.abs(Math.exp(nll / count) - 4.068)).toBeLessThan(0.005);
  }, 300_000);
});

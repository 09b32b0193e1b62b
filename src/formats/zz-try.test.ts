import { test } from 'vitest';
import { readFileSync } from 'node:fs';
import { bytesSource } from './byte-source';
import { loadLlama2c } from './llama2c';
import { loadHfFolder } from './hf-folder';
import { loadGguf } from './gguf-model';
test('try', async () => {
  const F = '/work/shared/fixtures/';
  const m = await loadLlama2c(bytesSource('stories260K.bin', readFileSync(F + 'stories260K.bin')), bytesSource('tok512.bin', readFileSync(F + 'tok512.bin')));
  const H = 'public/models/stories260K-hf/';
  const hf = await loadHfFolder(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'].map((n) => bytesSource(n, readFileSync(H + n))));
  const g = await loadGguf(bytesSource('stories260K.gguf', readFileSync(F + 'stories260K.gguf')));
  console.log(g.weights.config);
  for (const [name, src] of [['tinystories', 'tinystories/tinystories_val.txt'], ['wiki', 'wikitext-2-raw/wiki.test.raw'], ['shak', 'tinyshakespeare/input.txt']]) {
    const text = readFileSync(F + src, 'utf8').slice(0, 200000);
    let t0 = performance.now();
    const a = m.tokenizer.encode(text);
    const t1 = performance.now();
    const b = hf.tokenizer.encode(text);
    const t2 = performance.now();
    const c = g.tokenizer.encode(text);
    let firstDiff = -1;
    for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) { firstDiff = i; break; }
    console.log(name, a.length, b.length, 'diff at', firstDiff, 'sp ms', (t1 - t0).toFixed(0), 'hf ms', (t2 - t1).toFixed(0), 'gguf eq', JSON.stringify(a) === JSON.stringify(c), 'decode eq', m.tokenizer.decode(a) === text, hf.tokenizer.decode(b) === text);
    if (firstDiff >= 0) console.log(a.slice(firstDiff - 5, firstDiff + 5), b.slice(firstDiff - 5, firstDiff + 5));
  }
});

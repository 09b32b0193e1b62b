// Config, tokenizer and tensors must describe the same model: planted inconsistencies that used to
// load (and give a perplexity) are refused, naming the tensors or fields involved.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { bytesSource, type ByteSource } from './byte-source';
import { loadGguf } from './gguf-model';
import { loadHfFolder } from './hf-folder';
import { HF_DIR, editedFolder } from './testing/fixtures';
import { errorOf } from './testing/format-errors';

describe('config.json and the tensors', () => {
  test('num_hidden_layers 4 over 5 layers of weights: the unused layer is named', async () => {
    const e = await errorOf(loadHfFolder(editedFolder('config.json', (c) => (c.num_hidden_layers = 4))));
    expect(e.message).toMatch(/model\.safetensors: holds 9 tensors that config\.json \(4 layers, LlamaForCausalLM\) does not account for: model\.layers\.4\./);
  });

  test('num_hidden_layers 6 over 5 layers: the missing tensor is named', async () => {
    const e = await errorOf(loadHfFolder(editedFolder('config.json', (c) => (c.num_hidden_layers = 6))));
    expect(e.message).toMatch(/tensor "model\.layers\.5\.[\w.]+": is missing a tensor the config implies \(6 layers/);
  });
});

describe('GGUF metadata and the tensors', () => {
  const gguf = new Uint8Array(readFileSync(resolve(HF_DIR, '../stories260K.gguf')));
  /** The bundled GGUF with llama.block_count (a u32, 5) set in place. */
  function withBlockCount(n: number): ByteSource {
    const b = gguf.slice();
    const key = new TextEncoder().encode('llama.block_count');
    const at = b.findIndex((_, i) => key.every((x, k) => b[i + k] === x)) + key.length;
    const dv = new DataView(b.buffer);
    expect(dv.getUint32(at, true)).toBe(4); // value type UINT32
    expect(dv.getUint32(at + 4, true)).toBe(5);
    dv.setUint32(at + 4, n, true);
    return bytesSource('stories260K.gguf', b);
  }

  test('block_count 5 (control) loads; 4 over 5 blocks names the unused block', async () => {
    await expect(loadGguf(withBlockCount(5))).resolves.toBeTruthy();
    const e = await errorOf(loadGguf(withBlockCount(4)));
    expect(e.message).toMatch(/stories260K\.gguf: holds 9 tensors that the GGUF metadata \(4 layers, gguf:llama\) does not account for: model\.layers\.4\./);
  });
});

describe('tokenizer.json is checked before the library reads it', () => {
  const cases: [string, (t: Record<string, any>) => void, RegExp][] = [
    ['model.type "Foo"', (t) => (t.model.type = 'Foo'), /has model\.type "Foo", not one of BPE, WordPiece, WordLevel, Unigram/],
    ['vocab as an array', (t) => (t.model.vocab = Object.keys(t.model.vocab)), /has a BPE model\.vocab that is an array, not an object of piece -> id/],
    ['garbage merges', (t) => (t.model.merges = [['zz', 'qq']]), /has merge 0 \["zz","qq"\] whose piece "zz" is not in the vocabulary/],
    ['a merge that is a number', (t) => t.model.merges.push(42), /has merge \d+ 42, not two pieces/],
    ['two pieces with one id', (t) => (t.model.vocab['<dup>'] = 7), /gives the id 7 to two pieces/],
  ];
  for (const [what, edit, message] of cases) {
    test(what, async () => {
      const e = await errorOf(loadHfFolder(editedFolder('tokenizer.json', edit)));
      expect(e.message).toMatch(/^tokenizer\.json: /);
      expect(e.message).toMatch(message);
    });
  }
});

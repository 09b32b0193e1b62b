// Planted out-of-range token ids: each must be refused at load, naming the file and the id, where
// before it ran with a wrong perplexity (an added token at id 5000 over 512 rows gave 11.52 for 5.97).
import { describe, expect, test } from 'vitest';
import { bytesSource } from './byte-source';
import { loadGguf } from './gguf-model';
import { loadHfFolder } from './hf-folder';
import { loadLlama2c } from './llama2c';
import { editedFolder, hfFolderSources } from './testing/fixtures';
import { errorOf } from './testing/format-errors';
import { tinyLlamaKv, writeGguf } from './testing/gguf-writer';
import { GGML_TYPE } from './gguf';

describe('token ids outside the embedding are refused at load', () => {
  test('the bundled folder loads (control): its tokenizer ends at id 511 of 512 rows', async () => {
    const m = await loadHfFolder(hfFolderSources());
    expect(m.tokenizer.vocabSize).toBe(512);
    expect(m.weights.config.vocab).toBe(512);
  });

  test('tokenizer.json with an added token at id 5000 (512 rows)', async () => {
    const srcs = editedFolder('tokenizer.json', (t) => {
      (t.added_tokens as unknown[]).push({ id: 5000, content: '<extra>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    });
    const e = await errorOf(loadHfFolder(srcs));
    expect(e.message).toMatch(/tokenizer\.json: can produce token id 5000 \("<extra>"\) but the embedding has only 512 rows/);
  });

  test('config.json bos_token_id 99999, eos_token_id [2, 700], pad_token_id 512, a string id', async () => {
    for (const [key, value] of [
      ['bos_token_id', 99999],
      ['eos_token_id', [2, 700]],
      ['pad_token_id', 512],
      ['bos_token_id', '1'],
    ] as const) {
      const e = await errorOf(loadHfFolder(editedFolder('config.json', (c) => (c[key] = value))));
      expect(e.message).toContain(`config.json: field "${key}" is ${JSON.stringify(value)}, not a token id below vocab_size 512`);
    }
    // null and absent ids take the default (as transformers does)
    await expect(loadHfFolder(editedFolder('config.json', (c) => ((c.pad_token_id = null), delete c.eos_token_id)))).resolves.toBeTruthy();
    await expect(loadHfFolder(editedFolder('config.json', (c) => (c.pad_token_id = -1)))).resolves.toBeTruthy(); // "no padding token"
    expect((await errorOf(loadHfFolder(editedFolder('config.json', (c) => (c.bos_token_id = -1))))).message).toContain(
      'field "bos_token_id" is -1, not a token id',
    );
  });

  const tensors = (rows: number) => {
    const f32 = (n: number) => new Uint8Array(new Float32Array(n).fill(0.5).buffer);
    return [
      { name: 'token_embd.weight', ne: [4, rows], type: GGML_TYPE.F32, data: f32(4 * rows) },
      ...['attn_q', 'attn_k', 'attn_v', 'attn_output'].map((n) => ({ name: `blk.0.${n}.weight`, ne: [4, 4], type: GGML_TYPE.F32, data: f32(16) })),
      { name: 'blk.0.ffn_gate.weight', ne: [4, 32], type: GGML_TYPE.F32, data: f32(128) },
      { name: 'blk.0.ffn_up.weight', ne: [4, 32], type: GGML_TYPE.F32, data: f32(128) },
      { name: 'blk.0.ffn_down.weight', ne: [32, 4], type: GGML_TYPE.F32, data: f32(128) },
      ...['blk.0.attn_norm', 'blk.0.ffn_norm', 'output_norm'].map((n) => ({ name: `${n}.weight`, ne: [4], type: GGML_TYPE.F32, data: f32(4) })),
    ];
  };

  test('a GGUF vocabulary larger than the embedding rows', async () => {
    const ok = writeGguf({ kv: tinyLlamaKv(), tensors: tensors(4) });
    await expect(loadGguf(bytesSource('ok.gguf', ok))).resolves.toBeTruthy();
    const kv = tinyLlamaKv({
      'tokenizer.ggml.tokens': { type: 'string[]', value: ['<unk>', '\u2581', 'a', '\u2581a', 'b'] },
      'tokenizer.ggml.scores': { type: 'f32[]', value: [0, -2, -3, -1, -4] },
      'tokenizer.ggml.token_type': { type: 'i32[]', value: [2, 1, 1, 1, 1] },
    });
    const e = await errorOf(loadGguf(bytesSource('v.gguf', writeGguf({ kv, tensors: tensors(4) }))));
    expect(e.message).toMatch(/v\.gguf \(tokenizer\.ggml\.tokens\): can produce token id 4 \("b"\) but the embedding has only 4 rows/);
  });

  test('GGUF bos/eos ids past the vocabulary', async () => {
    const kv = tinyLlamaKv({ 'tokenizer.ggml.bos_token_id': { type: 'u32', value: 99999 } });
    const e = await errorOf(loadGguf(bytesSource('b.gguf', writeGguf({ kv, tensors: tensors(4) }))));
    expect(e.message).toMatch(/metadata "tokenizer\.ggml\.bos_token_id" is 99999, not an id of its 4-token vocabulary/);
  });

  test('a llama2.c model whose vocabulary has no BOS/EOS row', async () => {
    // dim 8, hidden 8, 1 layer, 2 heads, 2 kv heads, vocab 2 (shared), seq 4: BOS 1 fits, EOS 2 does not.
    const h = [8, 8, 1, 2, 2, 2, 4];
    const floats = 2 * 8 + (8 + 64 * 4 + 8 + 64 * 3) + 8 + 2 * 4 * 2;
    const model = new Uint8Array(28 + floats * 4);
    h.forEach((v, i) => new DataView(model.buffer).setInt32(4 * i, v, true));
    const tok = new Uint8Array([4, 0, 0, 0, ...[0, 0, 0, 0, 1, 0, 0, 0, 97], ...[0, 0, 0, 0, 1, 0, 0, 0, 98]]);
    const e = await errorOf(loadLlama2c(bytesSource('m.bin', model), bytesSource('t.bin', tok)));
    expect(e.message).toMatch(/m\.bin \(llama2\.c: BOS 1, EOS 2\): gives the eos token id 2, outside the embedding's 2 rows/);
  });
});

// GGUF export of a model with a byte-level BPE tokenizer (tokenizer.json): a llama.cpp "gpt2"
// vocabulary (tokens by id, token types, merges, a named pre-tokenizer) checked against the
// tokenizer.json it came from, then read back by the studio's GGUF loader: the same token ids for
// the same text, and logits of the float64 forward of the stored codes.
import { describe, expect, it } from 'vitest';
import type { LoadedModel } from '../core/model-config';
import { bytesSource } from '../formats/byte-source';
import { readGguf } from '../formats/gguf';
import { loadGguf } from '../formats/gguf-model';
import { HfTokenizer } from '../formats/hf-tokenizer';
import { randomModel, randomTokenizerJson } from '../formats/random-model';
import { forwardRef } from '../reference/model';
import { exportGguf, ggufAvailability } from './gguf-writer';
import { MemorySink } from './sink';
import { maxRelErr, quantizeOnCpu, referenceWeights } from './testing';

type Json = Record<string, any>;

// GPT-2's byte-to-unicode form: a space is 'Ġ'.
const MERGES = ['Ġ t', 'h e', 'Ġt he', 'o n', 'Ġ on', 'a t', 'Ġ c', 'Ġc at', '1 2'];
const MERGED = ['Ġt', 'he', 'Ġthe', 'on', 'Ġon', 'at', 'Ġc', 'Ġcat', '12'];
const TEXT = 'the cat sat on the mat hello_world 12345, then 1212!';

/** tiny-llama's byte-level vocabulary with real merges, a non-special added token and a gap of unused ids. */
function tokenizerJson(preTokenizer?: unknown): Json {
  const j = randomTokenizerJson(300) as Json;
  const vocab: Record<string, number> = {};
  for (const [piece, id] of Object.entries(j.model.vocab as Record<string, number>)) if (id < 258) vocab[piece] = id;
  MERGED.forEach((p, i) => (vocab[p] = 258 + i));
  vocab['hello_world'] = 299;
  j.model.vocab = vocab;
  j.model.merges = MERGES;
  j.added_tokens = [
    ...(j.added_tokens as Json[]),
    { id: 299, content: 'hello_world', single_word: false, lstrip: false, rstrip: false, normalized: false, special: false },
  ];
  if (preTokenizer) j.pre_tokenizer = preTokenizer;
  return j;
}

function modelWith(json: Json): LoadedModel {
  const m = randomModel('tiny-llama');
  return { weights: m.weights, tokenizer: new HfTokenizer(json, {}, { bosId: 256, eosId: 257 }), source: 'random:tiny-llama' };
}

describe('GGUF with a byte-level BPE ("gpt2") vocabulary', () => {
  it('writes tokens, types, merges and the pre-tokenizer as convert_hf_to_gguf does; the loader reads the same tokenizer and weights back', async () => {
    const json = tokenizerJson();
    const model = modelWith(json);
    const q = await quantizeOnCpu(model, { bits: 4, groupSize: 32, symmetric: false });
    expect(ggufAvailability(q.quantized, model.tokenizer)).toMatchObject({ available: true });
    const sink = new MemorySink();
    await exportGguf(q, sink, { fileName: 'm.gguf' });
    const bytes = sink.get('m.gguf');

    const meta = (await readGguf(bytesSource('m.gguf', bytes))).metadata;
    expect(meta.get('tokenizer.ggml.model')).toBe('gpt2');
    expect(meta.get('tokenizer.ggml.pre')).toBe('gpt-2');
    expect(meta.get('tokenizer.ggml.scores')).toBeUndefined();
    const tokens = meta.get('tokenizer.ggml.tokens') as string[];
    const types = Array.from(meta.get('tokenizer.ggml.token_type') as Int32Array);
    expect(tokens.length).toBe(300);
    const byId = new Map(Object.entries(json.model.vocab as Record<string, number>).map(([p, id]) => [id, p]));
    for (let id = 0; id < 300; id++) {
      if (byId.has(id)) expect(tokens[id]).toBe(byId.get(id));
      else expect([tokens[id], types[id]]).toEqual([`[PAD${id}]`, 5]);
    }
    expect(tokens[32]).toBe('Ġ');
    // <s>, </s> are special added tokens (control), hello_world a plain added token (user-defined)
    expect([types[256], types[257], types[299], types[72], types[260]]).toEqual([3, 3, 4, 1, 1]);
    expect(meta.get('tokenizer.ggml.merges')).toEqual(MERGES);
    expect([meta.get('tokenizer.ggml.bos_token_id'), meta.get('tokenizer.ggml.eos_token_id')]).toEqual([1, 2]);

    const back = await loadGguf(bytesSource('m.gguf', bytes));
    const ids = model.tokenizer.encode(TEXT);
    expect(ids).toContain(260); // 'Ġthe': the merges are applied
    expect(ids).toContain(299);
    expect(back.tokenizer.encode(TEXT)).toEqual(ids);
    expect(back.tokenizer.decode(ids)).toBe(model.tokenizer.decode(ids));

    const w = new Map<string, Float32Array>();
    for (const n of back.weights.shapes.keys()) w.set(n, await back.weights.get(n));
    const probe = [1, ...ids.slice(0, 15)];
    const got = forwardRef(back.weights.config, (n) => w.get(n)!, probe, 1, probe.length);
    const ref = forwardRef(model.weights.config, await referenceWeights(q), probe, 1, probe.length);
    expect(maxRelErr(got, ref)).toBeLessThan(2e-3);
  });

  it("names GPT-4o's o200k pre-tokenizer (Phi-4-mini's tokenizer.json) gpt-4o, notes llama.cpp's ASCII case classes, and reads it back", async () => {
    // the split regex as o200k's tokenizer.json spells it
    const o200k = String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
    const pre = {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: o200k }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    };
    const model = modelWith(tokenizerJson(pre));
    const q = await quantizeOnCpu(model, { bits: 4, groupSize: 32, symmetric: false });
    expect(ggufAvailability(q.quantized, model.tokenizer).reason).toMatch(/"gpt-4o" pre-tokenizer tells upper from lower case in ASCII only/);
    const sink = new MemorySink();
    await exportGguf(q, sink, { fileName: 'm.gguf' });
    expect((await readGguf(bytesSource('m.gguf', sink.get('m.gguf')))).metadata.get('tokenizer.ggml.pre')).toBe('gpt-4o');
    const back = await loadGguf(bytesSource('m.gguf', sink.get('m.gguf')));
    const text = `${TEXT} TheCat isn't theCAT, 1234567`;
    expect(back.tokenizer.encode(text)).toEqual(model.tokenizer.encode(text));
  });

  it("names SmolLM's pre-tokenizer (single digits, then ByteLevel) smollm, and reads it back splitting digits", async () => {
    const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
    const model = modelWith(tokenizerJson({ type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel] }));
    const q = await quantizeOnCpu(model, { bits: 4, groupSize: 32, symmetric: false });
    const sink = new MemorySink();
    await exportGguf(q, sink, { fileName: 'm.gguf' });
    const back = await loadGguf(bytesSource('m.gguf', sink.get('m.gguf')));
    expect((await readGguf(bytesSource('m.gguf', sink.get('m.gguf')))).metadata.get('tokenizer.ggml.pre')).toBe('smollm');
    const ids = model.tokenizer.encode(TEXT);
    expect(ids).not.toContain(266); // '12' is not formed: digits are split first
    expect(back.tokenizer.encode(TEXT)).toEqual(ids);
  });

  it('refuses a pre-tokenizer llama.cpp does not reproduce, and a byte-fallback tokenizer.json without SentencePiece\'s "▁" rule, saying why', async () => {
    const split = { type: 'Split', pattern: { Regex: '\\s+' }, behavior: 'Removed', invert: false };
    const q = await quantizeOnCpu(modelWith(tokenizerJson(split)), { bits: 4, groupSize: 32, symmetric: false });
    expect(ggufAvailability(q.quantized, modelWith(tokenizerJson(split)).tokenizer).reason).toMatch(
      /pre-tokenizer \(Split\("\\\\s\+", Removed, invert=false\)\) is not one whose llama\.cpp pre-tokenizer type is known.*gpt-2, smollm, llama-bpe.*export ONNX or GPTQ/,
    );
    const fallback = tokenizerJson();
    fallback.model.byte_fallback = true;
    expect(ggufAvailability(q.quantized, modelWith(fallback).tokenizer).reason).toMatch(
      /not the SentencePiece "▁" prefix rule llama\.cpp applies; export ONNX or GPTQ/,
    );
  });
});

// Checkpoints as current transformers saves them (LLaMA 2/3.1/3.2, TinyLlama, SmolLM2, Mistral,
// Qwen2/2.5, Qwen3, Phi-3, SmolLM3, Granite, OPT; 4.x and 5.x config spellings; F16/BF16/F32;
// sharded with an index), loaded by the studio's folder loader and checked against a float64 forward
// written from transformers' modeling code that reads config.json itself (testing/transformers-twin.ts):
// the stored weights exactly, the logits within float64 rounding (Granite's, whose multipliers are
// folded into the weights on load, and LongRoPE's and YaRN's, whose attention factor is: within that fold's f32 rounding). Then quantized (RTN on the CPU
// twin) and put through every export the model offers, each read back: ONNX in onnxruntime, GPTQ and
// full-precision folders by the studio's readers, GGUF by the GGUF loader, all against the float64
// forward of the dequantized weights. Formats a model does not offer must say why.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import type { LoadedModel } from '../core/model-config';
import type { QuantSpec } from '../core/quant-spec';
import { checkContext } from '../engine/calibration';
import { bytesSource } from '../formats/byte-source';
import { loadGguf } from '../formats/gguf-model';
import { f16ToF32 } from '../formats/dtype';
import { readSafetensorsBytes, readSafetensorsHeader, readSafetensorsHeaderWithIntegers, readSafetensorsTensor } from '../formats/safetensors';
import { loadModelFromFiles } from '../formats/load';
import { CHECKPOINT_CASES, REFUSED_CASES, SHORT_WINDOW_CASES } from '../formats/testing/hf-checkpoint-cases';
import { isLoadedTensor, writeCheckpoint } from '../formats/testing/hf-checkpoint';
import { transformersLogits } from '../formats/testing/transformers-twin';
import { forwardRef } from '../reference/model';
import { summarizeModel } from '../worker/model-summary';
import { readGptqFolder } from './gptq-read';
import { exportsForSettings } from './export-settings';
import { exportsForModel } from './model-exports';
import { exportAvailability, exportModel, type ExportFormat } from './index';
import { hfArchitecture } from './hf-files';
import { ggufArchitecture } from './gguf-writer';
import { MemorySink } from './sink';
import { allWeights, maxRelErr, quantizeOnCpu, referenceWeights } from './testing';
import { onnxLogits } from './testing-onnx';
import { decodeModel } from './onnx-proto';

ort.env.wasm.numThreads = 1;

const TEXT = 'the theater is in the north. THE END!';

const W4: QuantSpec = { bits: 4, groupSize: 32, symmetric: false };

/**
 * How close the loaded model's float64 logits are to the twin's: float64 rounding, except where
 * Granite's multipliers were folded into f32 weights on load, each folded value rounded once
 * (2^-24 relative): 0.9e-8 and 2.7e-8 of the largest logit in the two cases.
 */
const twinTolerance = (m: LoadedModel) => (m.weights.config.foldedMultipliers || foldsAttentionFactor(m) ? 2e-7 : 1e-9);
/** LongRoPE and YaRN: their attention factor is folded into q and k on load. */
const foldsAttentionFactor = (m: LoadedModel) => ['longrope', 'yarn'].includes(m.weights.config.ropeScaling?.type ?? '');
/** What each case gave, printed at the end as the architecture x step matrix. */
const matrix = new Map<string, Record<string, string>>();
const mark = (c: string, step: string, v: string) => matrix.set(c, { ...(matrix.get(c) ?? {}), [step]: v });

describe.each(CHECKPOINT_CASES)('$name', (k) => {
  const written = writeCheckpoint(k);
  let model: LoadedModel;
  let ids: number[];

  it('loads through the studio (any file order), every tensor equal to the stored values (Granite, LongRoPE, YaRN: times their folded factors)', async () => {
    model = await loadModelFromFiles([...written.files].reverse());
    const cfg = model.weights.config;
    expect(cfg.sourceArchitecture).toBe((k.config.architectures as string[])[0]);
    const fromConfig = (k.config.head_dim as number | null | undefined) ?? (k.config.hidden_size as number) / (k.config.num_attention_heads as number);
    expect(cfg.headDim).toBe(fromConfig);
    for (const [name, shape] of model.weights.shapes) {
      const want = written.tensors.get(name);
      expect(want, name).toBeDefined();
      expect(shape.reduce((a, b) => a * b, 1)).toBe(want!.length);
      expect(isLoadedTensor(written, name, await model.weights.get(name)), name).toBe(true);
    }
    ids = [cfg.bosId, ...model.tokenizer.encode(TEXT)].slice(0, 12);
    expect(ids.length).toBe(12);
    expect(model.tokenizer.decode(model.tokenizer.encode(TEXT))).toBe(TEXT);
    // Chat-template special tokens are single tokens, never split into bytes.
    for (const t of k.addedTokens ?? []) expect(model.tokenizer.encode(t), t).toHaveLength(1);
    mark(k.name, 'load', 'ok');
  });

  it("the studio's float64 oracle on the loaded model = transformers' forward read from config.json", async () => {
    const got = forwardRef(model.weights.config, await allWeights(model), ids, 1, ids.length);
    const want = transformersLogits(written.config, written.tensors, ids);
    expect(maxRelErr(got, want)).toBeLessThan(twinTolerance(model));
    mark(k.name, 'logits vs twin', 'ok');
  });

  it('RTN W4 g32 and every export the model offers, read back against the float64 forward of the dequantized weights', async () => {
    const q = await quantizeOnCpu(model, W4);
    const ref = forwardRef(model.weights.config, await referenceWeights(q), ids, 1, ids.length);
    const fp = transformersLogits(written.config, written.tensors, ids);
    expect(maxRelErr(ref, fp)).toBeGreaterThan(1e-4); // quantization shows, so the checks below can tell fp from quantized
    mark(k.name, 'quantize (CPU twin)', 'ok');
    const predicted = exportsForSettings(exportsForModel(model.weights.config, model.tokenizer), W4, false);
    for (const a of exportAvailability(q.quantized, model.tokenizer)) {
      // What the Model card and Run said before the run is what the run offers.
      expect(predicted.find((p) => p.format === a.format)!.available, `${a.format} predicted`).toBe(a.available);
      if (!a.available) {
        expect(a.reason, a.format).toMatch(/\w{10,}/);
        mark(k.name, a.format, `refused: ${a.reason}`);
        continue;
      }
      const sink = new MemorySink();
      await exportModel(a.format as ExportFormat, q, sink);
      const files = [...sink.files].map(([n, bytes]) => bytesSource(`out/${n}`, bytes));
      let err: number;
      if (a.format === 'onnx') {
        err = maxRelErr(await onnxLogits([...sink.files.values()][0], ids), ref);
        expect(err, 'onnx').toBeLessThan(2e-5);
      } else if (a.format === 'gguf') {
        const back = await loadGguf(files[0]);
        // The vocabulary llama.cpp reads tokenizes as the folder's tokenizer.json does.
        expect(back.tokenizer.encode(TEXT), 'gguf tokens').toEqual(model.tokenizer.encode(TEXT));
        expect(back.tokenizer.decode(back.tokenizer.encode(TEXT))).toBe(TEXT);
        expect(back.weights.config).toMatchObject({
          headDim: model.weights.config.headDim,
          kvHeads: model.weights.config.kvHeads,
          ropeTheta: model.weights.config.ropeTheta,
        });
        // LongRoPE's short factors hold up to the original length only: that is the context llama.cpp is
        // told, but for "phi3", which has both factor sets and switches at the original length itself
        const src = model.weights.config;
        const phi3 = ggufArchitecture(src) === 'phi3';
        expect(back.weights.config.maxPositions).toBe(src.ropeScaling?.type === 'longrope' && !phi3 ? src.ropeScaling.originalMaxPositions : src.maxPositions);
        if (phi3 && src.ropeScaling?.type === 'longrope') {
          // its factors as f32 tensors, its attention factor 1 (folded into q and k)
          const f32 = (f: number[]) => f.map(Math.fround);
          const { shortFactor, longFactor } = src.ropeScaling;
          const rope = { ...src.ropeScaling, shortFactor: f32(shortFactor), longFactor: f32(longFactor), attentionFactor: 1 };
          expect(back.weights.config).toMatchObject({ rotaryDim: src.rotaryDim, ropeScaling: rope });
        }
        err = maxRelErr(forwardRef(back.weights.config, await allWeights(back), ids, 1, ids.length), ref);
        expect(err, 'gguf').toBeLessThan(5e-3); // scales and minimums in f16
        if (back.weights.config.ropeScaling?.type === 'factors') {
          // The GGUF's rope_freqs, re-quantized: ONNX carries the factors; HF folders cannot, and say so.
          const q2 = await quantizeOnCpu(back, W4);
          const again = exportAvailability(q2.quantized, back.tokenizer);
          expect(again.filter((x) => !x.available).map((x) => x.format)).toEqual(['gptq', 'gptq-v2', 'fp-safetensors']);
          for (const x of again.filter((x) => !x.available))
            expect(x.reason).toMatch(/per-frequency factors \(a GGUF rope_freqs tensor\).*Hugging Face folder/);
          const sink2 = new MemorySink();
          await exportModel('onnx', q2, sink2);
          const ref2 = forwardRef(back.weights.config, await referenceWeights(q2), ids, 1, ids.length);
          expect(maxRelErr(await onnxLogits([...sink2.files.values()][0], ids), ref2)).toBeLessThan(2e-5);
          mark(k.name, 'GGUF read back (rope_freqs) then ONNX', 'ok; its HF folders refused (named)');
        }
      } else if (a.format === 'gptq' || a.format === 'gptq-v2') {
        const back = await readGptqFolder(files);
        expect(back.quantized.config).toMatchObject({
          headDim: model.weights.config.headDim,
          ropeTheta: model.weights.config.ropeTheta,
          qkvBias: model.weights.config.qkvBias,
        });
        // Linears too narrow to pack (k/v of one 16-wide head) stay float, as the availability says.
        const asFloat = new Set((a.floatTensors ?? []).map((f) => f.tensor.replace(/\.weight$/, '')));
        for (const [name, l] of q.quantized.linears)
          if (!asFloat.has(name)) expect(Buffer.from(back.quantized.linears.get(name)!.codes).equals(Buffer.from(l.codes)), name).toBe(true);
        err = maxRelErr(forwardRef(back.model.weights.config, await allWeights(back.model), ids, 1, ids.length), ref);
        expect(err, a.format).toBeLessThan(5e-3); // scales in f16
      } else {
        // The transformed full-precision model (RTN transforms nothing): the source's logits.
        const back = await loadModelFromFiles(files);
        // (Phi-3 comes back as the MistralForCausalLM it is written as: q/k/v and gate/up apart;
        // Granite as LlamaForCausalLM, its multipliers in the weights and none in config.json)
        // LongRoPE's and YaRN's attention factor comes back as 1, the weights carrying it
        const { foldedMultipliers: _folded, ropeScaling, ...plain } = model.weights.config;
        const rope = ropeScaling?.type === 'longrope' || ropeScaling?.type === 'yarn' ? { ...ropeScaling, attentionFactor: 1 } : ropeScaling;
        expect(back.weights.config).toMatchObject({ ...plain, name: expect.any(String), sourceArchitecture: hfArchitecture(model.weights.config) });
        expect(back.weights.config.ropeScaling).toEqual(rope);
        expect(back.weights.config.foldedMultipliers).toBeUndefined();
        err = maxRelErr(forwardRef(back.weights.config, await allWeights(back), ids, 1, ids.length), fp);
        expect(err, a.format).toBeLessThan(1e-6);
      }
      mark(k.name, a.format, `ok (${err.toExponential(1)})`);
    }
  });
});

describe('refused checkpoints name what they use and what to do', () => {
  it.each(REFUSED_CASES)('$name', async (k) => {
    await expect(loadModelFromFiles(writeCheckpoint(k).files)).rejects.toThrow(k.refusal);
    mark(k.name, 'load', 'refused (named)');
  });
});

describe('a sliding window shorter than the sequence', () => {
  it.each(SHORT_WINDOW_CASES)('$name is exact up to the window, and a run past it is refused with the window and what to do', async (k) => {
    const written = writeCheckpoint(k);
    const model = await loadModelFromFiles(written.files);
    expect(model.weights.config.slidingWindow).toBe(8);
    expect(summarizeModel(model).maxPositions).toBe(8);
    const ids = [model.weights.config.bosId, ...model.tokenizer.encode(TEXT)].slice(0, 12);
    const w = await allWeights(model);
    expect(
      maxRelErr(forwardRef(model.weights.config, w, ids.slice(0, 8), 1, 8), transformersLogits(written.config, written.tensors, ids.slice(0, 8))),
    ).toBeLessThan(1e-9);
    // Past the window the full causal attention the studio computes is not the model's.
    expect(maxRelErr(forwardRef(model.weights.config, w, ids, 1, 12), transformersLogits(written.config, written.tensors, ids))).toBeGreaterThan(1e-6);
    expect(() => checkContext(model.weights.config, 8)).not.toThrow();
    expect(() => checkContext(model.weights.config, 12)).toThrow(/longer than .*sliding window of 8 tokens.*at most 8/);
    // its Hugging Face export keeps the window on the same layers (Qwen2: layer_types)
    const q = await quantizeOnCpu(model, W4);
    const sink = new MemorySink();
    await exportModel('fp-safetensors', q, sink);
    const back = await loadModelFromFiles([...sink.files].map(([n, bytes]) => bytesSource(`out/${n}`, bytes)));
    expect([back.weights.config.slidingWindow, back.weights.config.slidingWindowLayers]).toEqual([8, model.weights.config.slidingWindowLayers]);
    // its ONNX file masks the window too: past it, the twin's windowed forward of the dequantized weights
    const onnx = new MemorySink();
    await exportModel('onnx', q, onnx);
    const dequantized = await referenceWeights(q);
    const tensors = new Map([...written.tensors.keys()].map((n) => [n, Float32Array.from(dequantized(n))]));
    const windowed = transformersLogits(written.config, tensors, ids);
    const onnxBytes = [...onnx.files.values()][0];
    const got = await onnxLogits(onnxBytes, ids);
    expect(maxRelErr(got, windowed)).toBeLessThan(2e-5);
    // and holds only the masks its layers read: the window's alone when every layer is windowed
    const { layers, slidingWindowLayers } = model.weights.config;
    const masks = (decodeModel(onnxBytes) as { graph: { node: { opType: string }[] } }).graph.node.filter((n) => n.opType === 'Where');
    expect(masks.length).toBe(slidingWindowLayers === undefined || slidingWindowLayers.length === layers ? 1 : 2);
    expect(maxRelErr(forwardRef(model.weights.config, dequantized, ids, 1, 12), windowed)).toBeGreaterThan(1e-4); // full attention differs
    mark(
      k.name,
      'load',
      `ok; runs over 8 tokens refused; layers windowed ${model.weights.config.slidingWindowLayers ?? 'all'}, kept in its HF and ONNX exports`,
    );
  });
});

describe("LongRoPE's original length shorter than the sequence", () => {
  it('is exact up to it (short factors), and a run past it (long factors) is refused with the length and what to do', async () => {
    const phi35 = CHECKPOINT_CASES.find((c) => c.name === 'Phi-3.5-mini-longrope-style')!;
    const rope = { ...(phi35.config.rope_parameters as Record<string, unknown>), original_max_position_embeddings: 8 };
    const written = writeCheckpoint({
      ...phi35,
      name: 'Phi-3.5-original-8',
      config: { ...phi35.config, original_max_position_embeddings: 8, rope_parameters: rope },
    });
    const model = await loadModelFromFiles(written.files);
    expect(summarizeModel(model).maxPositions).toBe(8);
    const ids = [1, ...model.tokenizer.encode(TEXT)].slice(0, 12);
    const w = await allWeights(model);
    const twin = (n: number) => transformersLogits(written.config, written.tensors, ids.slice(0, n));
    expect(maxRelErr(forwardRef(model.weights.config, w, ids.slice(0, 8), 1, 8), twin(8))).toBeLessThan(twinTolerance(model));
    // Past it transformers rotates with the long factors, which the studio does not implement.
    expect(maxRelErr(forwardRef(model.weights.config, w, ids, 1, 12), twin(12))).toBeGreaterThan(1e-6);
    expect(() => checkContext(model.weights.config, 8)).not.toThrow();
    expect(() => checkContext(model.weights.config, 12)).toThrow(/longer than .*original_max_position_embeddings of 8.*at most 8/);
    mark('Phi-3.5-original-8', 'load', 'ok; runs over 8 tokens refused');
  });
});

describe("Phi-4-mini's full-precision folder as transformers reads it", () => {
  it('is Phi3ForCausalLM with partial_rotary_factor, fused qkv_proj and gate_up_proj: the twin on its own config.json and tensors gives the source logits', async () => {
    const k = CHECKPOINT_CASES.find((c) => c.name === 'Phi-4-mini-partial-rotary-style')!;
    const written = writeCheckpoint(k);
    const model = await loadModelFromFiles(written.files);
    const q = await quantizeOnCpu(model, W4);
    const sink = new MemorySink();
    await exportModel('fp-safetensors', q, sink);
    const config = JSON.parse(new TextDecoder().decode(sink.files.get('config.json'))) as Record<string, unknown>;
    expect(config).toMatchObject({ architectures: ['Phi3ForCausalLM'], model_type: 'phi3', partial_rotary_factor: 0.75 });
    expect(config.rope_scaling).toMatchObject({ rope_type: 'longrope', attention_factor: 1 });
    const file = await readSafetensorsHeader(bytesSource('model.safetensors', sink.files.get('model.safetensors')!));
    expect([...file.tensors.keys()].filter((n) => /layers\.0\./.test(n)).sort()).toEqual(
      ['input_layernorm', 'mlp.down_proj', 'mlp.gate_up_proj', 'post_attention_layernorm', 'self_attn.o_proj', 'self_attn.qkv_proj'].map(
        (n) => `model.layers.0.${n}.weight`,
      ),
    );
    const tensors = new Map<string, Float32Array>();
    for (const n of file.tensors.keys()) tensors.set(n, await readSafetensorsTensor(file, n));
    tensors.set('lm_head.weight', tensors.get('model.embed_tokens.weight')!); // tied
    const ids = [model.weights.config.bosId, ...model.tokenizer.encode(TEXT)].slice(0, 12);
    // the attention factor, folded into q's and k's rotated rows and written with attention_factor 1: one f32 rounding
    expect(maxRelErr(transformersLogits(config, tensors, ids), transformersLogits(written.config, written.tensors, ids))).toBeLessThan(2e-7);
    mark(k.name, 'fp folder read by the twin', 'ok');
  });

  // one KV head: k and v (16 rows) cannot be packed, so q, fused with them, stays float too
  it.each([2, 1])(
    "its GPTQ folder (fused qkv_proj and gate_up_proj packed whole), dequantized here from the packed bits as AutoGPTQ's 4-bit layout reads, is the quantized model (%i KV heads)",
    async (kvHeads) => {
      const phi4 = CHECKPOINT_CASES.find((c) => c.name === 'Phi-4-mini-partial-rotary-style')!;
      const k = { ...phi4, config: { ...phi4.config, num_key_value_heads: kvHeads } };
      const written = writeCheckpoint(k);
      const model = await loadModelFromFiles(written.files);
      const q = await quantizeOnCpu(model, W4);
      const avail = exportAvailability(q.quantized, model.tokenizer).find((a) => a.format === 'gptq-v2')!;
      const floats = (avail.floatTensors ?? []).filter((f) => f.tensor.includes('layers.0.self_attn'));
      expect(floats.map((f) => f.tensor.replace('model.layers.0.self_attn.', ''))).toEqual(
        kvHeads === 1 ? ['k_proj.weight', 'v_proj.weight', 'q_proj.weight'] : [],
      );
      if (kvHeads === 1) expect(floats[2].why).toBe('fused with k, v into self_attn.qkv_proj, which stays float');
      // parts of a packed fused Linear with different act-order groups cannot share its g_idx
      const q0 = q.quantized.linears.get('model.layers.0.mlp.gate_proj')!;
      const actOrder = {
        ...q.quantized,
        linears: new Map(q.quantized.linears).set(q0.name, { ...q0, gIdx: Uint32Array.from({ length: q0.cols }, (_, i) => Math.floor(i / 32)) }),
      };
      expect(exportAvailability(actOrder, model.tokenizer).find((a) => a.format === 'gptq-v2')!.reason).toMatch(
        /block 0's gate, up have different act-order groups \(g_idx\), which Phi-3's fused mlp.gate_up_proj cannot hold/,
      );
      const sink = new MemorySink();
      await exportModel('gptq-v2', q, sink);
      const config = JSON.parse(new TextDecoder().decode(sink.files.get('config.json'))) as Record<string, unknown>;
      expect(config.quantization_config).toMatchObject({ bits: 4, checkpoint_format: 'gptq_v2' });
      const file = await readSafetensorsHeaderWithIntegers(bytesSource('model.safetensors', sink.files.get('model.safetensors')!));
      const int32 = async (n: string) => new Int32Array((await readSafetensorsBytes(file, n)).slice().buffer);
      const tensors = new Map<string, Float32Array>();
      for (const [n, t] of file.tensors) {
        if (t.dtype === 'F32') tensors.set(n, await readSafetensorsTensor(file, n));
        if (!n.endsWith('.qweight')) continue;
        // W[j, i] = (code(i, j) - zero(g, j)) * scale(g, j), 8 codes a word along the input (qweight) or the output (qzeros)
        const m = n.replace(/\.qweight$/, '');
        const [words, out] = t.shape;
        const inp = words * 8;
        const [qweight, qzeros, gIdx] = [await int32(`${m}.qweight`), await int32(`${m}.qzeros`), await int32(`${m}.g_idx`)];
        const scales = f16ToF32(await readSafetensorsBytes(file, `${m}.scales`));
        const w = new Float32Array(out * inp);
        for (let j = 0; j < out; j++)
          for (let i = 0; i < inp; i++) {
            const g = gIdx[i];
            const code = (qweight[Math.floor(i / 8) * out + j] >>> (4 * (i % 8))) & 15;
            const zero = (qzeros[g * (out / 8) + Math.floor(j / 8)] >>> (4 * (j % 8))) & 15;
            w[j * inp + i] = (code - zero) * scales[g * out + j];
          }
        tensors.set(`${m}.weight`, w);
      }
      expect([...tensors.keys()].filter((n) => /layers\.0\.(self_attn|mlp)/.test(n)).sort()).toEqual(
        ['mlp.down_proj', 'mlp.gate_up_proj', 'self_attn.o_proj', 'self_attn.qkv_proj'].map((n) => `model.layers.0.${n}.weight`),
      );
      expect(file.tensors.has('model.layers.0.self_attn.qkv_proj.qweight')).toBe(kvHeads === 2);
      tensors.set('lm_head.weight', tensors.get('model.embed_tokens.weight')!);
      const ids = [model.weights.config.bosId, ...model.tokenizer.encode(TEXT)].slice(0, 12);
      const ref = forwardRef(model.weights.config, await referenceWeights(q), ids, 1, ids.length);
      // scales in f16 (1.6e-4 here); q's and k's rows left in the engine's order read 6.8e-3
      expect(maxRelErr(transformersLogits(config, tensors, ids), ref)).toBeLessThan(1e-3);
      // and read back by the studio: the fused modules split, q's and k's rows in the engine's order
      const back = await readGptqFolder([...sink.files].map(([n, bytes]) => bytesSource(`out/${n}`, bytes)));
      for (const [name, l] of q.quantized.linears)
        if (back.quantized.linears.has(name)) expect(Buffer.from(back.quantized.linears.get(name)!.codes).equals(Buffer.from(l.codes)), name).toBe(true);
      expect(maxRelErr(forwardRef(back.model.weights.config, await allWeights(back.model), ids, 1, ids.length), ref)).toBeLessThan(1e-3);
      mark(`${k.name} (${kvHeads} KV heads)`, 'GPTQ folder read by the twin and the studio', 'ok');
    },
  );
});

describe('matrix', () => {
  it('prints the result of every step', () => {
    for (const [c, r] of matrix)
      console.log(
        `${c}: ${Object.entries(r)
          .map(([s, v]) => `${s}=${v}`)
          .join(' | ')}`,
      );
    expect(matrix.size).toBeGreaterThan(0);
  });
});

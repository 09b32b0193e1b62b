// The exports said at load and before Start agree with what the run then offers: for models of each
// architecture and tokenizer kind and a spread of settings, the prediction from the settings alone
// equals exportAvailability on the stored codes of an actual (CPU, float64 twin) RTN run.
import { describe, expect, it } from 'vitest';
import type { LoadedModel } from '../core/model-config';
import type { QuantSpec } from '../core/quant-spec';
import { loadGguf } from '../formats/gguf-model';
import { loadHfFolder } from '../formats/hf-folder';
import { randomModel } from '../formats/random-model';
import { fixture, hfFolderSources } from '../formats/testing/fixtures';
import { exportAvailability } from './index';
import { exportsForSettings } from './export-settings';
import { exportsForModel } from './model-exports';
import { quantizeOnCpu } from './testing';

const SPECS: QuantSpec[] = [
  { bits: 4, groupSize: 32, symmetric: false },
  { bits: 3, groupSize: 32, symmetric: false },
  { bits: 2, groupSize: 64, symmetric: false },
  { bits: 8, groupSize: 32, symmetric: true },
  { bits: 8, groupSize: 32, symmetric: false },
  { bits: 8, groupSize: 0, symmetric: true },
  { bits: 4, groupSize: 24, symmetric: false },
  { bits: 4, groupSize: 128, symmetric: true },
];

describe('exports known before a run', async () => {
  const models: [string, LoadedModel][] = [
    ['stories260K GGUF (SentencePiece)', await loadGguf(fixture('models/stories260K.gguf'))],
    ['stories260K HF folder (SentencePiece-style tokenizer.json)', await loadHfFolder(hfFolderSources())],
    ['tiny LLaMA (byte-level BPE)', randomModel('tiny-llama')],
    ['tiny Qwen2 (Q/K/V biases)', randomModel('tiny-qwen2')],
    ['tiny OPT', randomModel('tiny-opt')],
  ];

  it('at load: OPT offers ONNX, GPTQ and full precision, not GGUF, and says why', () => {
    const opt = exportsForModel(randomModel('tiny-opt').weights.config, randomModel('tiny-opt').tokenizer);
    expect(opt.filter((e) => e.available).map((e) => e.format)).toEqual(['onnx', 'gptq', 'gptq-v2', 'fp-safetensors']);
    expect(opt.find((e) => e.format === 'gguf')!.note).toMatch(/llama\.cpp has no OPT architecture/);
    const llama = exportsForModel(randomModel('tiny-llama').weights.config, randomModel('tiny-llama').tokenizer);
    expect(llama.every((e) => e.available)).toBe(true);
  });

  for (const [label, model] of models) {
    it(`${label}: the prediction from the settings = the run's own answer, every format and setting`, async () => {
      const atLoad = exportsForModel(model.weights.config, model.tokenizer);
      for (const spec of SPECS) {
        const predicted = exportsForSettings(atLoad, spec, false);
        const actual = exportAvailability((await quantizeOnCpu(model, spec)).quantized, model.tokenizer);
        for (const a of actual) {
          const p = predicted.find((e) => e.format === a.format)!;
          const what = `${a.format} W${spec.bits} g${spec.groupSize}${spec.symmetric ? ' sym' : ''}: predicted "${p.note}", run says "${a.reason}"`;
          // v1 GPTQ also depends on whether some zero point came out 0, known only after the run.
          if (a.format === 'gptq' && p.available && !a.available) expect(a.reason, what).toMatch(/zero point 0/);
          else expect(p.available, what).toBe(a.available);
        }
      }
    });
  }
});

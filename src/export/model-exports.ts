// What a loaded model can be exported as, known before any run: the formats its architecture and
// tokenizer allow, what each needs from the run's settings, and, for a given setting, which ones
// the run will offer. Shown at load and before Start so a person knows before a long run; after
// the run exportAvailability (index.ts) answers from the stored codes themselves.
// Light on purpose (no protobuf): the summary carries its answers to the page.
import type { ModelConfig, Tokenizer } from '../core/model-config';
import type { QuantSpec } from '../core/quant-spec';
import { ggufModelProblem } from './gguf-writer';
import { hfFolderProblem } from './hf-files';
import type { ExportFormat } from './types';

export interface ModelExport {
  format: ExportFormat;
  /** The architecture and tokenizer allow it (the run's settings may still rule it out). */
  available: boolean;
  /** What the run must use, or why this model cannot be written in the format. */
  note: string;
}

export function exportsForModel(cfg: ModelConfig, tokenizer?: Tokenizer): ModelExport[] {
  const hf = hfFolderProblem({ config: cfg, tokenizer });
  const gguf = ggufModelProblem(cfg, tokenizer);
  const floatNote = 'Linears whose sizes are not multiples of 32 stay float';
  return [
    { format: 'onnx', available: true, note: 'needs 2-, 4- or 8-bit weights, groups a multiple of 16 (or per channel), no GPTQ act-order' },
    hf
      ? { format: 'gptq', available: false, note: hf }
      : { format: 'gptq', available: true, note: `any bit width; ${floatNote}; a run with a zero point 0 exports as v2 only` },
    hf ? { format: 'gptq-v2', available: false, note: hf } : { format: 'gptq-v2', available: true, note: `any bit width; ${floatNote}` },
    gguf
      ? { format: 'gguf', available: false, note: gguf }
      : { format: 'gguf', available: true, note: 'needs groups of 32 (2-4 bits as Q4_1, symmetric 8-bit as Q8_0)' },
    hf
      ? { format: 'fp-safetensors', available: false, note: hf }
      : { format: 'fp-safetensors', available: true, note: 'the transformed full-precision model, after any run' },
  ];
}

/** Whether a run with this spec will offer each format (the per-Linear checks come after the run). */
export function exportsForSettings(model: ModelExport[], spec: QuantSpec, actOrder: boolean): ModelExport[] {
  return model.map((e) => {
    if (!e.available) return e;
    if (e.format === 'onnx') {
      if (![2, 4, 8].includes(spec.bits)) return { ...e, available: false, note: `${spec.bits}-bit: MatMulNBits holds 2, 4 or 8 bits` };
      if (spec.groupSize % 16 !== 0) return { ...e, available: false, note: `groups of ${spec.groupSize} are not whole MatMulNBits blocks (multiples of 16)` };
      if (actOrder) return { ...e, available: false, note: 'GPTQ act-order groups cannot be MatMulNBits blocks' };
    }
    if (e.format === 'gguf') {
      if (spec.groupSize !== 32) return { ...e, available: false, note: `${spec.groupSize ? `groups of ${spec.groupSize}` : 'per-channel scales'}: GGUF blocks are 32 wide` };
      if (spec.bits === 8 && !spec.symmetric) return { ...e, available: false, note: 'asymmetric 8-bit: Q8_0 is symmetric' };
    }
    return e;
  });
}

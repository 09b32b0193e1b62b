// What a loaded model can be exported as, known before any run: the formats its architecture and
// tokenizer allow and what each needs from the run's settings (export-settings.ts then says which
// ones a given setting will offer). Computed in the worker at load; the summary carries it to the
// page. After the run exportAvailability (index.ts) answers from the stored codes themselves.
import type { ModelConfig, Tokenizer } from '../core/model-config';
import { ggufModelProblem } from './gguf-writer';
import { hfFolderProblem } from './hf-files';
import type { ModelExport } from './export-settings';

export type { ModelExport } from './export-settings';

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

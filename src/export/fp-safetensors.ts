// The full-precision transformed model (after TEQ/AWQ folding, TesseraQ's initialised weights: the
// source with the run's overrides) as a Hugging Face folder: model.safetensors (F32), config.json,
// tokenizer files. For people who want to quantize the transformed model with other tools. Q/K
// rows are written half-split (HF's rotary layout) whatever the source's layout; a partial rotary
// Phi-3 as Phi3ForCausalLM, its Linears fused again (phi3-fused.ts).
import type { Tokenizer } from '../core/model-config';
import type { QuantizedModel } from '../quant/quantized-model';
import { hfArchitecture, hfFolderProblem, writeHfSideFiles } from './hf-files';
import { hfRowOrder, linearSlots, permuteFloatRows, transformedSource, type ExportInput } from './model-parts';
import { fusePhi3Tensors } from './phi3-fused';
import { writeSafetensorsStream, type TensorToWrite } from './safetensors-writer';
import type { ExportSink } from './sink';
import { ExportUnavailableError, safeFileStem, type ExportAvailability, type ExportReport } from './types';

export function fpAvailability(q: QuantizedModel, tokenizer?: Tokenizer): ExportAvailability {
  const base = { format: 'fp-safetensors' as const, folder: true, suggestedName: `${safeFileStem(q.config.name)}-transformed-f32` };
  const problem = hfFolderProblem({ config: q.config, tokenizer });
  if (problem) return { ...base, available: false, reason: problem };
  const n = q.overrides.size;
  return {
    ...base,
    available: true,
    reason: n
      ? `the full-precision model with the method's transforms folded in (${n} tensors changed from the source), F32 safetensors`
      : 'the method changed no full-precision tensor (e.g. RTN), so this is the source model as F32 safetensors',
  };
}

export async function exportFpSafetensors(inp: ExportInput, sink: ExportSink): Promise<ExportReport> {
  const avail = fpAvailability(inp.quantized, inp.model.tokenizer);
  if (!avail.available) throw new ExportUnavailableError('fp-safetensors', avail.reason);
  const cfg = inp.quantized.config;
  const src = transformedSource(inp);
  const perms = new Map<string, Int32Array>();
  for (const slot of linearSlots(inp.quantized)) {
    const p = hfRowOrder(cfg, slot.role);
    if (p) {
      perms.set(`${slot.name}.weight`, p);
      perms.set(`${slot.name}.bias`, p);
    }
  }
  const names = [...src.shapes.keys()].filter((n) => !(n === 'lm_head.weight' && cfg.tiedEmbeddings)).sort();
  const parts: TensorToWrite[] = names.map((name) => {
    const shape = src.shapes.get(name)!;
    return {
      name,
      dtype: 'F32',
      shape,
      data: async () => {
        const w = await src.get(name);
        const p = perms.get(name);
        return p ? permuteFloatRows(w, shape.length > 1 ? shape[1] : 1, p) : w;
      },
    };
  });
  const tensors = hfArchitecture(cfg) === 'Phi3ForCausalLM' ? fusePhi3Tensors(parts) : parts;
  const w = await sink.createFile('model.safetensors');
  await writeSafetensorsStream(w, tensors, { format: 'pt', transformed_by: 'webgpu-quant-studio', source: inp.model.source });
  await w.close();
  const files = [{ name: 'model.safetensors', bytes: w.written }, ...(await writeHfSideFiles(sink, inp.model, cfg, { torch_dtype: 'float32' }))];
  return { format: 'fp-safetensors', files, notes: [avail.reason] };
}

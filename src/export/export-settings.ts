// Which export formats a run with given settings will offer, from what the model allows
// (model-exports.ts, computed at load): shown before Start so a person knows before a long run.
// Types only, no exporter code: the page imports it.
import type { QuantSpec } from '../core/quant-spec';
import type { ExportFormat } from './types';

export interface ModelExport {
  format: ExportFormat;
  /** The architecture and tokenizer allow it (the run's settings may still rule it out). */
  available: boolean;
  /** What the run must use, or why this model cannot be written in the format. */
  note: string;
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
      if (spec.groupSize !== 32)
        return { ...e, available: false, note: `${spec.groupSize ? `groups of ${spec.groupSize}` : 'per-channel scales'}: GGUF blocks are 32 wide` };
      if (spec.bits === 8 && !spec.symmetric) return { ...e, available: false, note: 'asymmetric 8-bit: Q8_0 is symmetric' };
    }
    return e;
  });
}

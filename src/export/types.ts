// Shared vocabulary of the exporters: formats, availability answers and reports.
import { BadInputError } from '../gpu/errors';

export type ExportFormat = 'onnx' | 'gptq' | 'gptq-v2' | 'gguf' | 'fp-safetensors';

export interface FloatFallback {
  /** HF tensor name. */
  tensor: string;
  why: string;
}

export interface ExportAvailability {
  format: ExportFormat;
  available: boolean;
  /** Why not, or what the export holds (and any tensors kept in full precision). */
  reason: string;
  /** Quantized Linears the format cannot hold, written as their dequantized f32/f16 values. */
  floatTensors?: FloatFallback[];
  /** Single file or folder, for the save dialog. */
  folder: boolean;
  suggestedName: string;
}

export interface ExportReport {
  format: ExportFormat;
  files: { name: string; bytes: number }[];
  notes: string[];
}

/** A run whose settings the format cannot hold: the message says why and what would work. */
export class ExportUnavailableError extends BadInputError {
  constructor(
    readonly format: ExportFormat,
    readonly reason: string,
  ) {
    super(`${format} export is not available for this run: ${reason}`);
    this.name = 'ExportUnavailableError';
  }
}

export function safeFileStem(name: string): string {
  return (
    name
      .replace(/^.*[\\/]/, '')
      .replace(/[^\w.-]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'model'
  );
}

/** Button titles; here so the page can name formats without loading the exporters. */
export const FORMAT_TITLES: Record<ExportFormat, string> = {
  onnx: 'ONNX (MatMulNBits, onnxruntime)',
  gptq: 'GPTQ safetensors folder (transformers, vLLM)',
  'gptq-v2': 'GPTQ v2 safetensors folder (GPTQModel)',
  gguf: 'GGUF (llama.cpp)',
  'fp-safetensors': 'Full-precision transformed model (safetensors)',
};

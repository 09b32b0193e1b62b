// The export API for the UI (worker) and the CLI.
//   exportAvailability(quantized, tokenizer) -> one answer per format: available, and why (not)
//   exportModel(format, { model, quantized }, sink) -> writes the files into the sink, returns a report
// Sinks: sink.ts (browser: File System Access API or downloads; memory), node-sink.ts (CLI).
// ONNX check: verifyOnnx (onnx-runtime.ts, browser) / verifyOnnxNode (onnx-node.ts, CLI).
import type { Tokenizer } from '../core/model-config';
import type { QuantizedModel } from '../quant/quantized-model';
import { exportFpSafetensors, fpAvailability } from './fp-safetensors';
import { exportGguf, ggufAvailability } from './gguf-writer';
import { exportGptq, gptqAvailability } from './gptq';
import type { ExportInput } from './model-parts';
import { exportOnnx, onnxAvailability } from './onnx';
import type { ExportSink } from './sink';
import type { ExportAvailability, ExportFormat, ExportReport } from './types';

export type { ExportAvailability, ExportFormat, ExportReport } from './types';
export { ExportUnavailableError } from './types';
export type { ExportInput } from './model-parts';

export const EXPORT_FORMATS: ExportFormat[] = ['onnx', 'gptq', 'gptq-v2', 'gguf', 'fp-safetensors'];

export { FORMAT_TITLES } from './types';

export function exportAvailability(quantized: QuantizedModel, tokenizer?: Tokenizer): ExportAvailability[] {
  return [
    onnxAvailability(quantized),
    gptqAvailability(quantized, tokenizer, 'gptq'),
    gptqAvailability(quantized, tokenizer, 'gptq_v2'),
    ggufAvailability(quantized, tokenizer),
    fpAvailability(quantized, tokenizer),
  ];
}

export function parseExportFormats(list: string): ExportFormat[] {
  const out: ExportFormat[] = [];
  for (const raw of list
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)) {
    const f = (raw === 'fp' || raw === 'safetensors' ? 'fp-safetensors' : raw === 'gptq_v2' ? 'gptq-v2' : raw) as ExportFormat;
    if (!EXPORT_FORMATS.includes(f)) throw new Error(`unknown export format "${raw}" (use ${EXPORT_FORMATS.join(', ')})`);
    if (!out.includes(f)) out.push(f);
  }
  return out;
}

/** Writes one format into the sink (single-file formats write one file, folder formats several). */
export function exportModel(format: ExportFormat, inp: ExportInput, sink: ExportSink): Promise<ExportReport> {
  switch (format) {
    case 'onnx':
      return exportOnnx(inp, sink);
    case 'gptq':
      return exportGptq(inp, sink, { checkpointFormat: 'gptq' });
    case 'gptq-v2':
      return exportGptq(inp, sink, { checkpointFormat: 'gptq_v2' });
    case 'gguf':
      return exportGguf(inp, sink);
    case 'fp-safetensors':
      return exportFpSafetensors(inp, sink);
  }
}

// The CLI's export step: each requested format into --outDir (single files directly, folders in a
// subfolder named after the export), ONNX optionally checked in onnxruntime (WASM) on the run's
// evaluation windows. Formats the run cannot be held in are reported with the reason, not written.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportAvailability, exportModel, type ExportFormat, type ExportInput, type ExportReport } from './index';
import { nodeDirectorySink } from './node-sink';
import { verifyOnnxNode } from './onnx-node';

export interface CliExportResult {
  format: ExportFormat;
  written: boolean;
  reason: string;
  dir: string;
  report?: ExportReport;
  /** ONNX only, when asked: onnxruntime's perplexity on the run's windows. */
  onnxPpl?: number;
}

export async function exportForCli(
  inp: ExportInput,
  formats: ExportFormat[],
  outDir: string,
  opts: { verify?: { tokens: ArrayLike<number>; windowLen: number; windows: number }; log?: (msg: string) => void } = {},
): Promise<CliExportResult[]> {
  const log = opts.log ?? (() => {});
  const avail = exportAvailability(inp.quantized, inp.model.tokenizer);
  const results: CliExportResult[] = [];
  for (const format of formats) {
    const a = avail.find((x) => x.format === format)!;
    const dir = a.folder ? join(outDir, a.suggestedName) : outDir;
    if (!a.available) {
      log(`export ${format}: not available: ${a.reason}`);
      results.push({ format, written: false, reason: a.reason, dir });
      continue;
    }
    log(`export ${format} -> ${a.folder ? dir : join(dir, a.suggestedName)}`);
    const report = await exportModel(format, inp, nodeDirectorySink(dir));
    const r: CliExportResult = { format, written: true, reason: a.reason, dir, report };
    if (format === 'onnx' && opts.verify) {
      const bytes = new Uint8Array(await readFile(join(dir, report.files[0].name)));
      const s = await verifyOnnxNode(bytes, opts.verify.tokens, opts.verify.windowLen, opts.verify.windows);
      r.onnxPpl = s.ppl;
      log(`export onnx: onnxruntime perplexity ${s.ppl.toFixed(4)} on ${s.windows} windows`);
    }
    results.push(r);
  }
  return results;
}

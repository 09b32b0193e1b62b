// The GGUF exports that are checked in real llama.cpp: an RTN W4 g32 run (float64 twin, on the CPU)
// of each checkpoint case and of the bundled stories260K, exported as GGUF. write-checkpoints puts
// them on disk for scripts/llama-cpp-reference.mjs; llama-cpp-reference.test.ts makes them again
// and checks what the studio reads back from them against what llama.cpp computed.
import type { LoadedModel } from '../core/model-config';
import { bytesSource, type ByteSource } from '../formats/byte-source';
import { loadModelFromFiles } from '../formats/load';
import { CHECKPOINT_CASES, SHORT_WINDOW_CASES } from '../formats/testing/hf-checkpoint-cases';
import { writeCheckpoint } from '../formats/testing/hf-checkpoint';
import { ggufAvailability } from './gguf-writer';
import { exportModel } from './index';
import { MemorySink } from './sink';
import { quantizeOnCpu } from './testing';

/** What llama.cpp tokenizes for each export (the transformers fixture's two texts; scripts/llama-cpp-reference.mjs has them too). */
export const LLAMA_CPP_TEXTS = {
  text: 'the theater is in the north. THE END!',
  long: 'Once upon a time, there was a little girl named Lily.\nShe liked to play outside \u2014 in the sun!  \u00dcn\u00efc\u00f6d\u00e9 123.',
};

export interface GgufExportCase {
  name: string;
  /** the model the run quantized */
  source: LoadedModel;
  /** the exported file, null where the studio refuses GGUF for this model (and why) */
  gguf: Uint8Array | null;
  refusal?: string;
}

/** RTN W4 g32 (asymmetric, as Q4_1 stores it) of the model, exported as GGUF. */
export async function ggufOfRtn(model: LoadedModel): Promise<{ gguf: Uint8Array | null; refusal?: string }> {
  const q = await quantizeOnCpu(model, { bits: 4, groupSize: 32, symmetric: false });
  const a = ggufAvailability(q.quantized, model.tokenizer);
  if (!a.available) return { gguf: null, refusal: a.reason };
  const sink = new MemorySink();
  await exportModel('gguf', q, sink);
  return { gguf: sink.get([...sink.files.keys()][0]) };
}

/** Every checkpoint case (OPT and other refusals included, with their reason), then stories260K. */
export async function* ggufExportCases(bundledGguf: ByteSource): AsyncGenerator<GgufExportCase> {
  const sources: [string, () => Promise<LoadedModel>][] = [
    ...[...CHECKPOINT_CASES, ...SHORT_WINDOW_CASES].map((k): [string, () => Promise<LoadedModel>] => [
      k.name,
      () => loadModelFromFiles(writeCheckpoint(k).files),
    ]),
    ['stories260K', () => loadModelFromFiles([bundledGguf])],
  ];
  for (const [name, load] of sources) {
    const source = await load();
    yield { name, source, ...(await ggufOfRtn(source)) };
  }
}

/** The studio's own reading of an exported GGUF (dequantized Q4_1, its embedded vocabulary). */
export function readGgufExport(name: string, gguf: Uint8Array): Promise<LoadedModel> {
  return loadModelFromFiles([bytesSource(`${name}.gguf`, gguf)]);
}

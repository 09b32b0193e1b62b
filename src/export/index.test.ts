// The export API end to end in Node: availability answers per format (with reasons), and the CLI
// path writing every available format to disk, the ONNX file checked by onnxruntime.
import { describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGguf } from '../formats/gguf-model';
import { fixture } from '../formats/testing/fixtures';
import { bytesSource } from '../formats/byte-source';
import { exportAvailability, parseExportFormats } from './index';
import { exportForCli } from './node-export';
import { readGptqFolder } from './gptq-read';
import { quantizeOnCpu } from './testing';

describe('export API', async () => {
  const gguf = await loadGguf(fixture('models/stories260K.gguf'));

  it('availability: W3 g32 asym — ONNX refused (MatMulNBits has no 3-bit), GGUF as Q4_1, GPTQ partial', async () => {
    const q = await quantizeOnCpu(gguf, { bits: 3, groupSize: 32, symmetric: false });
    const a = Object.fromEntries(exportAvailability(q.quantized, gguf.tokenizer).map((x) => [x.format, x]));
    expect(a.onnx.available).toBe(false);
    expect(a.onnx.reason).toMatch(/3 bits/);
    expect(a.gguf.available).toBe(true);
    expect(a.gguf.reason).toMatch(/Q4_1 \(3-bit codes in 4-bit fields\)/);
    expect(a['gptq-v2'].available).toBe(true);
    expect(a['fp-safetensors'].available).toBe(true);
    for (const x of Object.values(a)) expect(x.reason.length).toBeGreaterThan(20);
  });

  it('parses CLI format lists', () => {
    expect(parseExportFormats('onnx, gguf,fp,gptq_v2')).toEqual(['onnx', 'gguf', 'fp-safetensors', 'gptq-v2']);
    expect(() => parseExportFormats('onnx,tflite')).toThrow(/unknown export format "tflite"/);
  });

  it('CLI: every format to disk; ONNX checked in onnxruntime; unavailable ones reported', async () => {
    const q = await quantizeOnCpu(gguf, { bits: 4, groupSize: 32, symmetric: true });
    const dir = await mkdtemp(join(tmpdir(), 'export-'));
    try {
      const text = new TextDecoder().decode(await fixture('data/tinystories_val.txt').read(0, 8000));
      const tokens = [1, ...gguf.tokenizer.encode(text)];
      const res = await exportForCli(q, parseExportFormats('onnx,gptq,gptq-v2,gguf,fp'), dir, { verify: { tokens, windowLen: 64, windows: 2 } });
      expect(res.map((r) => [r.format, r.written])).toEqual([
        ['onnx', true],
        ['gptq', true],
        ['gptq-v2', true],
        ['gguf', true],
        ['fp-safetensors', true],
      ]);
      expect(res[0].onnxPpl).toBeGreaterThan(1);
      const top = (await readdir(dir)).sort();
      expect(top).toEqual([
        'stories260K-4bit.onnx',
        'stories260K-Q4_1.gguf',
        'stories260K-gptq-4bit',
        'stories260K-gptq-4bit-v2',
        'stories260K-transformed-f32',
      ]);
      const gptqDir = join(dir, 'stories260K-gptq-4bit');
      const files = await Promise.all((await readdir(gptqDir)).map(async (n) => bytesSource(n, new Uint8Array(await readFile(join(gptqDir, n))))));
      const back = await readGptqFolder(files);
      const l = q.quantized.linears.get('model.layers.0.self_attn.v_proj')!;
      expect(back.quantized.linears.get(l.name)!.codes).toEqual(l.codes);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

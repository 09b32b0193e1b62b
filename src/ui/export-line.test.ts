import { describe, expect, it } from 'vitest';
import { exportedLine } from './export-line';

const report = {
  format: 'gptq' as const,
  files: [
    { name: 'config.json', bytes: 900 },
    { name: 'model.safetensors', bytes: 2048 },
  ],
  notes: [],
};

describe('exportedLine', () => {
  it('names the files as written into a picked folder', () => {
    expect(exportedLine(report, null)).toBe('Wrote config.json (900 B), model.safetensors (2.00 KiB)');
  });

  it('names a folder delivered as downloads by the prefixed names that arrived, and says why', () => {
    const line = exportedLine(report, 'stories260K-gptq-4bit-');
    expect(line).toContain('stories260K-gptq-4bit-config.json (900 B), stories260K-gptq-4bit-model.safetensors (2.00 KiB)');
    expect(line).toContain('cannot write a folder');
    expect(line).not.toMatch(/Wrote config\.json/);
  });

  it('a single file downloaded keeps its name', () => {
    expect(exportedLine({ ...report, files: [{ name: 'm.gguf', bytes: 10 }] }, '')).toBe('Downloaded m.gguf (10 B)');
  });
});

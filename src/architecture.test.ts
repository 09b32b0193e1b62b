// Imports only run down the layers. Reads every import of every production file under src/ (tests
// and test helpers may reach up: a GPU test of a kernel builds a model) and fails on one that goes
// to a higher layer, or sideways to another folder of the same layer. ARCHITECTURE.md explains the
// order; change it there and here together.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Lowest first. A folder may import its own files and any folder of a lower layer. */
const LAYERS: readonly (readonly string[])[] = [
  ['core'], // shared types and specs: quant spec, model config, tensor names, run config and events, schedules
  ['reference'], // float64 twins of the kernels and the model
  ['gpu'], // device, buffers, pipelines, the WGSL preprocessor
  ['formats'], // file formats, tokenizers, Hugging Face hub, random models
  ['ops'], // one typed wrapper per kernel
  ['model'], // the transformer on the GPU: blocks, sublayers, weights
  ['quant'], // the methods' algorithms (RTN, AWQ, TEQ, TesseraQ) and quantized models
  ['eval'], // perplexity, generation
  ['export'], // ONNX, GPTQ, GGUF, safetensors writers
  ['methods'], // the method registry: one descriptor per method
  ['engine'], // a run end to end, URL config, memory plan, checkpoints, history
  ['worker'], // the studio's Web Worker
  ['cli', 'ui', 'security'], // entry points: the Node CLI, the React studio, the CSP build plugin
];

const SRC = resolve(import.meta.dirname);
const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));
const isTestCode = (path: string) => /\.(test|gpu-test)\.tsx?$/.test(path) || /(^|\/)testing(-[a-z]+)?(\.ts|\/)/.test(path);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(name) ? [p] : [];
  });
}

/** The folder under src/ a file belongs to ('' for src/main.tsx, which counts as ui). */
const folderOf = (path: string) => {
  const rel = relative(SRC, path).split('/');
  return rel.length === 1 ? 'ui' : rel[0];
};

/** Relative import specifiers (static, dynamic, export ... from), resolved to files under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(
    /(?:^|[^.\w])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|^import\s*['"](\.{1,2}\/[^'"]+)['"]/gm,
  )) {
    out.push(resolve(dirname(file), m[1] ?? m[2] ?? m[3]));
  }
  return out;
}

describe('architecture', () => {
  const files = sourceFiles(SRC).filter((f) => !isTestCode(relative(SRC, f)));

  it('knows the layer of every folder under src/', () => {
    const folders = new Set(files.map(folderOf));
    expect([...folders].filter((f) => !rank.has(f))).toEqual([]);
  });

  it('imports only run down the layers', () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = folderOf(file);
      for (const target of importsOf(file)) {
        if (!target.startsWith(SRC)) continue; // shaders/, public/: not code layers
        const to = folderOf(target);
        if (to === from) continue;
        if (!(rank.get(to)! < rank.get(from)!)) upward.push(`${relative(SRC, file)} imports ${relative(SRC, target)} (${from} may not import ${to})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('sees the imports it checks', () => {
    // a regex that silently matched nothing would pass everything above
    const run = files.find((f) => f.endsWith('engine/run.ts'))!;
    expect(importsOf(run).map((p) => relative(SRC, p))).toContain('methods/registry');
  });
});

// Profiling entry for the training loops (TesseraQ, TEQ): runs one quantization like
// `studio quantize` and prints seconds per phase, dispatch and submit counts and, with
// --profile 1, GPU time per kernel label (timestamp queries). --backend null measures the
// CPU side alone (Dawn's null backend executes nothing).
//   node dist-node/bench-train.mjs --method tesseraq --tqIters 50 --tqSchedule paper20 [--backend null] [--profile 1]
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createNodeGpu, closeNodeGpu } from './node-gpu';
import { pathSources } from './node-files';
import { loadModelFromFiles } from '../formats/load';
import { parseConfigQuery } from '../engine/url-config';
import { runQuantization } from '../engine/run';
import { splitText } from '../engine/text-split';
import type { RunConfig } from '../core/run-types';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) flags.set(argv[i].replace(/^--/, ''), argv[i + 1]);
  const backend = flags.get('backend');
  const profile = flags.get('profile') === '1';
  const root = flags.get('root') ?? process.cwd();
  for (const k of ['backend', 'profile', 'root']) flags.delete(k);
  const parsed = parseConfigQuery(new URLSearchParams([...flags.entries()]));
  if (parsed.notes.length) throw new Error(parsed.notes.join('\n'));
  const m = await loadModelFromFiles(await pathSources(resolve(root, 'public/models/stories260K.gguf')));
  const model = { ...m, source: 'bundled:stories260K' };
  const split = splitText(await readFile(join(root, 'public/data/tinystories_val.txt'), 'utf8'), 'tinystories_val.txt');
  const config: RunConfig = { ...parsed.config, model: model.source, text: 'tinystories' };
  const gpu = await createNodeGpu({ profile, backend });
  const labels = new Map<string, number>();
  const misses = new Map<string, number>();
  if (process.env.COUNT_MISSES) gpu.onBindGroupMiss = (l) => misses.set(l, (misses.get(l) ?? 0) + 1);
  if (flags.get('countLabels') === '1' || process.env.COUNT_LABELS) {
    const orig = gpu.dispatch.bind(gpu);
    gpu.dispatch = (kernel, args) => {
      const label = args.label ?? kernel.file;
      labels.set(label, (labels.get(label) ?? 0) + 1);
      orig(kernel, args);
    };
  }
  try {
    // the null backend runs nothing: the fp perplexity (read from unwritten memory, it can be
    // non-finite and stop the run) is skipped; the quantized one means nothing there
    const { result } = await runQuantization({ gpu, model, split, config, onEvent: () => {}, pplFp: backend === 'null' ? 1 : undefined });
    const out: Record<string, unknown> = {
      backend: backend ?? 'default',
      method: config.method,
      status: result.status,
      pplQuant: result.pplQuant,
      seconds: result.seconds,
      dispatches: gpu.dispatchCount,
      submits: gpu.submitCount,
      passes: gpu.passCount,
      bindGroups: gpu.bindGroupCount,
      pipelines: gpu.pipelineCount,
    };
    if (process.env.DUMP_DETAILS) out.details = result.details;
    if (process.env.DUMP_VARIANTS) out.variants = gpu.variantCounts();
    if (misses.size) out.misses = Object.fromEntries([...misses].sort((a, b) => b[1] - a[1]));
    if (labels.size) out.labels = Object.fromEntries([...labels].sort((a, b) => b[1] - a[1]));
    if (gpu.timer) {
      const rows = [...gpu.timer.totals.entries()].sort((a, b) => b[1].ns - a[1].ns);
      const total = rows.reduce((s, [, e]) => s + e.ns, 0);
      out.gpuMsSampled = total / 1e6;
      out.kernels = rows.slice(0, 30).map(([l, e]) => `${l}: ${(e.ns / 1e6).toFixed(1)} ms / ${e.count} = ${(e.ns / e.count / 1e3).toFixed(1)} us`);
    }
    process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
  } finally {
    closeNodeGpu();
  }
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});

// `studio bench`: the engine's speed on this host, per model and method, as one table.
//   seconds per phase: a calibration forward through the full-precision model, AWQ's search, TEQ
//   steps per second, TesseraQ seconds per block and per round (and a 250-iteration round, the
//   paper's, scaled from the measured iterations), evaluation tokens per second, peak GPU memory;
//   then, in a second pass with per-dispatch timestamps, the hottest kernels of each method with
//   their achieved TFLOP/s (matmuls, attention), and the method's kernels grouped into families with
//   their share of the GPU time and how far each is from its ceiling, measured in the same run
//   (bench-ceilings.ts: every matmul path at n³, the streaming bandwidth; kernel-families.ts).
// The methods run as `studio quantize` runs them (same RunConfig); the profiled pass is separate
// because timestamped passes change the timing they measure. `--kernels only` runs the profiled
// pass alone (for runs too long to make twice) and reports its seconds, timer included.
import { writeFile } from 'node:fs/promises';
import { createEngineGpu, closeNodeGpu, dawnToggles, describeKernelPaths, halfSetting } from './node-gpu';
import { cliConfigErrors, fail, loadModel, loadText, methodList } from './inputs';
import type { Gpu } from '../gpu/gpu';
import { measureCeilings } from './bench-ceilings';
import { kernelFamilies } from './kernel-families';
import { parseConfigQuery } from '../engine/url-config';
import { runQuantization } from '../engine/run';
import { calibrationSamples } from '../engine/calibration';
import type { RunConfig, RunResult } from '../core/run-types';
import { loadGlobals, embedTokens, releaseGlobals, runBlocks, SourceBlocks } from '../model/gpu-model';
import type { LoadedModel } from '../core/model-config';
import type { TextSplit } from '../engine/text-split';
import { METHODS } from '../methods/registry';
import { benchMarkdown, hotKernels, type BenchMethod, type BenchReport, type BenchRow } from './bench-report';

export const BENCH_USAGE = `  studio bench --model <path|bundled|random:<shape>> [--methods rtn,awq,teq,tesseraq] [--kernels 0|only] [--peakN 4096]
                  [any quantize flag: --calibSamples --seqLen --steps --teqLoss --tqIters --tqSchedule ...]
                  [--out bench.json]   seconds per phase, the hottest kernels and the kernel families against measured ceilings
                  (--peakN n: the ceilings' n³ matmuls and 4·n² floats per buffer of the bandwidth probe)
                  [--no-f16 | --f16 all]   f32 Linear matmuls, or all of them f16 x f16 -> f32 (default: those of 2^26 FLOP and more, on tensor cores where offered)
                  [--dawnToggles a,b]   Dawn toggles on, e.g. skip_validation (what Dawn's checks cost; not what browsers run)`;

/** One forward pass of the calibration set through the full-precision blocks (weights resident). */
async function calibrationForward(gpu: Gpu, model: LoadedModel, split: TextSplit, config: RunConfig): Promise<number> {
  const cfg = model.weights.config;
  const tokens = [model.tokenizer.bosId, ...model.tokenizer.encode(split.calib)];
  const ids = calibrationSamples(tokens, config.calibSamples, config.seqLen, config.seed, config.calibDraw);
  const shape = { batch: config.calibSamples, seqLen: config.seqLen };
  const globals = await loadGlobals(gpu, model.weights);
  const blocks = new SourceBlocks(gpu, model.weights, true);
  try {
    let seconds = 0;
    for (let rep = 0; rep < 2; rep++) {
      // the first pass compiles pipelines and uploads weights; the second is timed
      const t0 = performance.now();
      const x = embedTokens(gpu, globals, ids, shape);
      (await runBlocks(gpu, cfg, blocks, x, shape)).release();
      await gpu.sync();
      seconds = (performance.now() - t0) / 1000;
    }
    return seconds;
  } finally {
    blocks.release();
    releaseGlobals(globals);
  }
}

function rowOf(method: BenchMethod, r: RunResult, config: RunConfig, layers: number): BenchRow {
  const s = r.seconds;
  const row: BenchRow = {
    method,
    seconds: s[method] ?? NaN,
    evalTokensPerSecond: r.evalTokens / (s['eval-quant'] ?? NaN),
    peakMiB: Math.max(...Object.values(r.memory?.measured ?? { none: 0 })) / 2 ** 20,
    plannedMiB: Math.max(...Object.values(r.memory?.planned ?? { none: 0 })) / 2 ** 20,
    pplFp: r.pplFp,
    pplQuant: r.pplQuant,
    memory: r.memory,
    phaseSeconds: { ...s },
  };
  const tq = (r.details?.tesseraq as { blocks?: { block: number; seconds?: Record<string, number>; rounds: { seconds?: number }[] }[] } | undefined)?.blocks;
  if (tq?.length) row.tqBlocks = tq.map((b) => ({ block: b.block, seconds: b.seconds ?? {}, rounds: b.rounds.map((x) => x.seconds ?? NaN) }));
  Object.assign(row, METHODS[method].bench?.(s, config, layers));
  return row;
}

function failUnlessDone(method: BenchMethod, result: RunResult): void {
  if (result.status !== 'done') fail(`${method}: ${result.status}${result.error ? `: ${result.error}` : ''}`);
}

export async function bench(flags: Map<string, string>): Promise<void> {
  const methods: BenchMethod[] = methodList(flags.get('methods') ?? 'rtn,awq,teq,tesseraq');
  const kernelFlag = flags.get('kernels') ?? '1';
  if (!['0', '1', 'only'].includes(kernelFlag)) fail(`--kernels takes 0, 1 or only, not "${kernelFlag}"`);
  const kernels = kernelFlag !== '0';
  // only: the profiled pass alone (a run too long to make twice); its seconds include the timer's cost
  const timedPass = kernelFlag !== 'only';
  const out = flags.get('out');
  // a software adapter (SwiftShader) needs minutes for one 4096³ product: --peakN 256 there
  const peakN = Number(flags.get('peakN') ?? 4096);
  if (!Number.isInteger(peakN) || peakN < 16) fail(`--peakN must be an integer of at least 16, not ${flags.get('peakN')}`);
  const modelSpec = flags.get('model') ?? 'bundled';
  const textName = flags.get('text') ?? 'tinystories';
  const half = halfSetting(flags.get('f16'));
  const toggles = dawnToggles(flags.get('dawnToggles'));
  for (const k of ['methods', 'kernels', 'out', 'model', 'text', 'peakN', 'f16', 'dawnToggles']) flags.delete(k);
  // TEQ's step rate is measured without its AWQ initialisation and held-out scoring unless asked for
  if (!flags.has('teqInit')) flags.set('teqInit', 'ones');
  if (!flags.has('teqHoldout')) flags.set('teqHoldout', '0');
  const parsed = parseConfigQuery(new URLSearchParams([...flags.entries()]));
  if (parsed.notes.length) fail(`${cliConfigErrors(parsed.notes)}\n${BENCH_USAGE}`);
  const model = await loadModel(modelSpec);
  const text = await loadText(textName);
  const config: RunConfig = { ...parsed.config, model: model.source, text: text.source };
  const layers = model.weights.config.layers;
  const log = (m: string) => process.stderr.write(`${m}\n`);

  let gpu = await createEngineGpu(half, { enableToggles: toggles });
  const device = [gpu.report.vendor, gpu.report.architecture, gpu.report.description].filter(Boolean).join(' ');
  log(`bench on ${device}: ${model.source}, methods ${methods.join(', ')}\n${describeKernelPaths(gpu)}`);
  const { method: _m, ...shared } = config;
  const report: BenchReport = {
    date: new Date().toISOString(),
    device,
    model: model.source,
    config: shared,
    calibForwardSeconds: NaN,
    calibTokensPerSecond: NaN,
    ...(toggles.length ? { dawnToggles: toggles } : {}),
    rows: [],
  };
  try {
    report.calibForwardSeconds = await calibrationForward(gpu, model, text.split, config);
    report.calibTokensPerSecond = (config.calibSamples * config.seqLen) / report.calibForwardSeconds;
    log(`calibration forward ${report.calibForwardSeconds.toFixed(3)} s`);
    for (const method of timedPass ? methods : []) {
      const { result } = await runQuantization({ gpu, model, split: text.split, config: { ...config, method } });
      failUnlessDone(method, result);
      report.rows.push(rowOf(method, result, { ...config, method }, layers));
      log(`${method}: ${JSON.stringify(result.seconds)}`);
    }
    if (!timedPass) {
      report.kernelNote = 'Seconds from the profiled pass (--kernels only): they include the timer’s own cost.';
      report.rows.push(...methods.map((method) => ({ method, seconds: NaN }) as BenchRow));
    }
    if (!kernels) report.kernelNote = 'No kernel tables: skipped (--kernels 0).';
    else {
      closeNodeGpu();
      gpu = await createEngineGpu(half, { profile: true, enableToggles: toggles });
      if (!gpu.timer) {
        report.kernelNote = 'No kernel tables: this adapter offers no timestamp-query, so no dispatch could be timed.';
        log(report.kernelNote);
      } else {
        const ceilings = await measureCeilings(gpu, peakN);
        report.ceilings = ceilings;
        report.matmulPeakTflops = ceilings.matmulTflops.f32;
        report.matmulPeakSize = peakN;
        for (const [i, row] of report.rows.entries()) {
          if (row.method === 'rtn') continue;
          // only the method's own phase: timed() syncs (and collects timestamps) between phases
          const timer = gpu.timer;
          let inMethod = false;
          const { result } = await runQuantization({
            gpu,
            model,
            split: text.split,
            config: { ...config, method: row.method, evalWindows: timedPass ? 1 : config.evalWindows },
            onEvent: (e) => {
              if (e.type !== 'phase') return;
              if (e.phase === row.method) timer.reset();
              else if (inMethod) {
                row.kernels = hotKernels(timer.totals);
                row.families = kernelFamilies(timer.totals, ceilings);
              }
              inMethod = e.phase === row.method;
            },
          });
          if (!timedPass) {
            failUnlessDone(row.method, result);
            report.rows[i] = { ...rowOf(row.method, result, { ...config, method: row.method }, layers), kernels: row.kernels, families: row.families };
            log(`${row.method} (profiled): ${JSON.stringify(result.seconds)}`);
          }
        }
      }
    }
  } finally {
    closeNodeGpu();
  }
  const md = benchMarkdown(report);
  log(`\n${md}`);
  if (out) await writeFile(out, JSON.stringify(report, null, 2));
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

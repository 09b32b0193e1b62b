// The studio's engine from the command line, on Dawn (npm `webgpu`):
//   node dist-node/studio.mjs quantize --model <file|folder|bundled> --method awq --bits 3 ...
//   node dist-node/studio.mjs eval --model <file|folder|bundled> [--text wikitext2]
//   node dist-node/studio.mjs bench --model random:smollm2-135m --methods rtn,awq,teq,tesseraq
// Prints the run's result JSON (the studio's download schema) on stdout, progress on stderr,
// and exits non-zero with a clear message on any failure.
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve, dirname } from 'node:path';
import { createEngineGpu, closeNodeGpu, dawnToggles, describeKernelPaths, halfSetting, DAWN_TOGGLES_NOTE, NO_F16_NOTE } from './node-gpu';
import { halfReports } from '../ops/precision';
import { cliConfigErrors, fail, loadModel, loadText } from './inputs';
import { bench, BENCH_USAGE } from './bench';
import { parseConfigQuery } from '../engine/url-config';
import { runQuantization } from '../engine/run';
import type { RunConfig, RunEvent } from '../core/run-types';
import { describeError } from '../gpu/errors';
import { RANDOM_SHAPES } from '../formats/random-model';
import { generateRandomFolder } from './generate';
import { exportForCli } from '../export/node-export';
import { parseExportFormats } from '../export/index';
import { quantizeUsage } from './usage';
import { splitQualityWarnings } from '../engine/text-quality';
import { flipLastBits } from '../formats/flipped-bits';

const MODEL_NOTE = `  <path> is a .gguf file, a llama2.c .bin (its tokenizer .bin beside it as tok*.bin or tokenizer.bin),
  or a Hugging Face model folder; "bundled" is stories260K from public/models.`;
const FLIP_NOTE =
  '[--flipLastBits SEED]   flip the lowest mantissa bit of about half the weights (drawn by SEED): how far a run moves under a last-bit change of its input alone (quality:half --control)';
const COMMAND_USAGE: Record<string, string> = {
  quantize: `${quantizeUsage()}
                  quantizes, evaluates and prints the run's result JSON on stdout (progress on stderr)`,
  eval: `  studio eval --model <path|bundled> [--text ...] [--seqLen N] [--evalWindows N]
                  the full-precision perplexity`,
  generate: `  studio generate --shape <${Object.keys(RANDOM_SHAPES).join('|')}> --out <folder> [--seed N]
                  writes a randomly initialised Hugging Face folder with that model's shapes (no GPU needed)`,
  bench: BENCH_USAGE,
};
const USAGE = `usage:
${Object.values(COMMAND_USAGE).join('\n')}
  studio --help, studio <command> --help   this text, or one command's
${MODEL_NOTE}
  quantize, eval and bench need a GPU through Dawn (npm "webgpu"; on Linux a Vulkan driver).
  quantize, eval and bench: ${NO_F16_NOTE}
  quantize, eval and bench: ${DAWN_TOGGLES_NOTE}
  quantize and eval: ${FLIP_NOTE}`;

/** `--help`, `-h` or `help` anywhere: the usage (of the command when one is given) on stdout. */
function helpRequested(argv: string[]): string | null {
  if (!argv.some((a) => a === '--help' || a === '-h') && argv[0] !== 'help') return null;
  const command = argv[0] === 'help' ? argv[1] : argv[0];
  const one = command && COMMAND_USAGE[command];
  return one ? `usage:\n${one}\n${MODEL_NOTE}` : USAGE;
}

function parseArgs(argv: string[]): { command: string; flags: Map<string, string> } {
  const [command, ...rest] = argv;
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) fail(`unexpected argument "${a}"\n${USAGE}`);
    if (a === '--no-f16') {
      flags.set('f16', '0');
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else flags.set(a.slice(2), rest[++i] ?? fail(`--${a.slice(2)} needs a value`));
  }
  return { command: command ?? '', flags };
}

function progressPrinter(): (e: RunEvent) => void {
  let last = 0;
  return (e) => {
    const now = Date.now();
    if (e.type === 'phase') process.stderr.write(`\n[${e.phase}]${e.detail ? ` ${e.detail}` : ''}\n`);
    else if (e.type === 'progress' && (now - last > 500 || e.done === e.total)) {
      last = now;
      process.stderr.write(`\r  ${e.phase} ${e.done}/${e.total}${e.done === e.total ? '\n' : ''}`);
    } else if (e.type === 'log') process.stderr.write(`  ${e.message}\n`);
  };
}

/** Writes a random model as a Hugging Face folder (src/cli/generate.ts). */
async function generate(flags: Map<string, string>): Promise<void> {
  const shape = flags.get('shape') ?? fail(`--shape is needed\n${USAGE}`);
  const outDir = flags.get('out') ?? fail(`--out is needed\n${USAGE}`);
  if (!(shape in RANDOM_SHAPES)) fail(`--shape ${shape} is not one of ${Object.keys(RANDOM_SHAPES).join(', ')}`);
  await generateRandomFolder(shape, outDir, Number(flags.get('seed') ?? 0), (m) => process.stderr.write(`${m}\n`));
}

async function main(): Promise<void> {
  const help = helpRequested(process.argv.slice(2));
  if (help) {
    process.stdout.write(`${help}\n`);
    return;
  }
  const { command, flags } = parseArgs(process.argv.slice(2));
  if (command === 'generate') return generate(flags);
  if (command === 'bench') return bench(flags);
  if (command !== 'quantize' && command !== 'eval') fail(USAGE);
  const modelSpec = flags.get('model') ?? 'bundled';
  const textName = flags.get('text') ?? 'tinystories';
  const out = flags.get('out');
  const exportFormats = flags.get('export');
  const outDir = flags.get('outDir') ?? 'export';
  const verifyOnnx = flags.get('verifyOnnx') === '1';
  const half = halfSetting(flags.get('f16'));
  const toggles = dawnToggles(flags.get('dawnToggles'));
  const flipSeed = flags.has('flipLastBits') ? Number(flags.get('flipLastBits')) : undefined;
  if (flipSeed !== undefined && !(Number.isSafeInteger(flipSeed) && flipSeed > 0))
    fail(`--flipLastBits takes a positive whole number (the seed of the flips), not "${flags.get('flipLastBits')}"`);
  for (const k of ['model', 'text', 'out', 'export', 'outDir', 'verifyOnnx', 'f16', 'dawnToggles', 'flipLastBits']) flags.delete(k);
  const formats = exportFormats ? parseExportFormats(exportFormats) : [];
  if (command === 'eval') flags.set('method', 'fp');
  const params = new URLSearchParams([...flags.entries()]);
  const parsed = parseConfigQuery(params);
  if (parsed.notes.length) fail(`${cliConfigErrors(parsed.notes)}\n${USAGE}`);
  const loaded = await loadModel(modelSpec);
  const model =
    flipSeed === undefined
      ? loaded
      : { ...loaded, weights: flipLastBits(loaded.weights, flipSeed), source: `${loaded.source}, last bits flipped (seed ${flipSeed})` };
  const text = await loadText(textName);
  const config: RunConfig = { ...parsed.config, model: model.source, text: text.source };
  const gpu = await createEngineGpu(half, { enableToggles: toggles });
  process.stderr.write(`device: ${gpu.report.vendor} ${gpu.report.architecture} ${gpu.report.description}\n${describeKernelPaths(gpu)}\n`);
  process.stderr.write(
    `model: ${model.source} (${model.weights.config.sourceArchitecture}, ${model.weights.config.layers} layers)\n${text.split.description}\n`,
  );
  for (const w of splitQualityWarnings(text.split, (t) => model.tokenizer.encode(t).length)) process.stderr.write(`warning: ${w}\n`);
  try {
    const { result, quantized } = await runQuantization({ gpu, model, split: text.split, config, onEvent: progressPrinter() });
    if (formats.length && quantized && result.status === 'done') {
      const tokens = [model.tokenizer.bosId, ...model.tokenizer.encode(text.split.eval)];
      const exported = await exportForCli({ model, quantized }, formats, outDir, {
        verify: verifyOnnx ? { tokens, windowLen: config.seqLen, windows: config.evalWindows } : undefined,
        log: (m) => process.stderr.write(`${m}\n`),
      });
      result.details = {
        ...result.details,
        exports: exported.map((e) => ({ format: e.format, written: e.written, reason: e.reason, dir: e.dir, onnxPpl: e.onnxPpl })),
      };
      if (exported.some((e) => !e.written)) process.exitCode = 1;
    }
    const json = JSON.stringify(result, null, 2);
    if (out) {
      await mkdir(dirname(resolve(out)), { recursive: true });
      await writeFile(out, json);
    }
    process.stdout.write(`${json}\n`);
    const mib = (r: Record<string, number> = {}) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v / 2 ** 20)]));
    process.stderr.write(`\nmemory MiB planned ${JSON.stringify(mib(result.memory?.planned))} measured ${JSON.stringify(mib(result.memory?.measured))}\n`);
    for (const m of halfReports(gpu)) process.stderr.write(`${m}\n`);
    process.stderr.write(`pplFp ${result.pplFp.toFixed(4)}  pplQuant ${result.pplQuant.toFixed(4)}  seconds ${JSON.stringify(result.seconds)}\n`);
    if (result.status !== 'done') process.exitCode = 1;
  } finally {
    closeNodeGpu();
  }
}

main().catch((e) => fail(describeError(e).message));

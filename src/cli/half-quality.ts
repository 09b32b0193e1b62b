// `npm run quality:half`: issue 17's quality check on a GPU with f16 subgroup matrices (tensor cores). Runs the studio CLI
// (dist-node/studio.mjs, beside this bundle) on stories260K at the reference settings, each cell on the
// f16 path and on the f32 path, several runs at a time, then prints the table of
// src/cli/half-quality-table.ts and writes it with every run's result JSON and log to --out.
// Exits 1 when a judged cell fails or a run fails, 0 otherwise.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { flag } from './argv-flag';
import { methodList } from './inputs';
import {
  keptChoice,
  qualityArgs,
  qualityCells,
  qualityMarkdown,
  qualityRows,
  runName,
  TRAINED_METHODS,
  type HalfPath,
  type QualityRun,
} from './half-quality-table';

const USAGE = `usage: npm run quality:half -- [--methods teq,tesseraq,teq+tesseraq,teq+gptq] [--bits 4,3] [--seeds 0,1]
                                 [--w2 1|0] [--jobs 4] [--out quality-half] [--resume] [--control] [--studioArgs "--calibSamples 4 ..."]
  stories260K at the README's reference settings (128 x 512 calibration tokens, g32, every evaluation
  window), each cell with --f16 all and with --no-f16; --w2 1 adds TesseraQ W2 (judged against its
  seed spread). --studioArgs are added to every run's arguments and override them (a smoke run on a
  slow GPU with fewer tokens, say). Needs a GPU where the CLI's f16 path runs: Dawn's f16 subgroup
  matrices (tensor cores); elsewhere every cell fails as having taken the f32 path. --resume keeps the
  results already in --out (an interrupted run, or runs made in parts) and runs only the others.
  --control compares the f32 path with the f32 path on the weights with their last bits flipped
  (--flipLastBits 1) instead of the f16 path: how far a cell moves under a last-bit change alone,
  judged by the same rule (runs on any GPU).`;

function list(name: string, fallback: string): string[] {
  return flag(name, fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function numbers(name: string, fallback: string): number[] {
  return list(name, fallback).map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} takes whole numbers separated by commas, not "${s}"\n${USAGE}`);
    return n;
  });
}

/** Runs the studio CLI with these arguments; resolves to its exit code. */
function runStudio(studio: string, args: string[], log: string): Promise<number> {
  const fd = openSync(log, 'w');
  return new Promise((done) => {
    const child = spawn(process.execPath, [studio, ...args], { stdio: ['ignore', 'ignore', fd] });
    child.on('close', (code) => done(code ?? 1));
    child.on('error', () => done(1));
  });
}

/** The result an earlier run left here, if whole (the CLI writes the file once it has finished). */
function finishedRun(json: string): { pplQuant: number; details?: Record<string, unknown> } | undefined {
  try {
    const r = JSON.parse(readFileSync(json, 'utf8'));
    return Number.isFinite(r.pplQuant) ? r : undefined;
  } catch {
    return undefined;
  }
}

async function main() {
  if (process.argv.includes('--help') || process.argv.includes('-h')) return void console.log(USAGE);
  const methods = methodList(flag('methods', TRAINED_METHODS.join(',')));
  const cells = qualityCells(methods, numbers('bits', '4,3'), numbers('seeds', '0,1'), flag('w2', '1') !== '0');
  const jobs = Math.max(1, numbers('jobs', '4')[0] ?? 4);
  const out = resolve(flag('out', 'quality-half'));
  const extra = flag('studioArgs', '').split(/\s+/).filter(Boolean);
  const resume = process.argv.includes('--resume');
  const tested: HalfPath = process.argv.includes('--control') ? 'flipped' : 'f16';
  const studio = fileURLToPath(new URL('./studio.mjs', import.meta.url));
  if (!existsSync(studio)) throw new Error(`${studio} is missing: build it with node scripts/build-node.mjs studio`);
  mkdirSync(out, { recursive: true });

  const queue = cells.flatMap((cell) => ([tested, 'f32'] as HalfPath[]).map((path) => ({ cell, path })));
  const failed: string[] = [];
  const runs: QualityRun[] = [];
  let next = 0;
  const t0 = Date.now();
  const worker = async () => {
    for (let i = next++; i < queue.length; i = next++) {
      const { cell, path } = queue[i];
      const name = runName(cell, path);
      const json = join(out, `${name}.json`);
      const kept = resume ? finishedRun(json) : undefined;
      const code = kept ? 0 : await runStudio(studio, [...qualityArgs(cell, path), ...extra, '--out', json], join(out, `${name}.log`));
      const secs = ((Date.now() - t0) / 1000).toFixed(0);
      if (code !== 0 || !existsSync(json)) {
        failed.push(`${name}: exit code ${code}, see ${join(out, `${name}.log`)}`);
        console.error(`[${secs} s] ${name} failed (exit code ${code})`);
        continue;
      }
      const r = kept ?? JSON.parse(readFileSync(json, 'utf8'));
      runs.push({ ...cell, path, pplQuant: r.pplQuant, linearMatmuls: r.details?.linearMatmuls, kept: keptChoice(r.details) });
      console.error(`[${secs} s] ${name}: perplexity ${r.pplQuant}${kept ? ' (kept from an earlier run)' : ''}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, worker));

  const order = (r: QualityRun) => cells.findIndex((c) => c.method === r.method && c.bits === r.bits && c.seed === r.seed);
  const rows = qualityRows(runs.sort((a, b) => order(a) - order(b)));
  const table = [qualityMarkdown(rows), ...failed.map((f) => `failed: ${f}`)].join('\n');
  writeFileSync(join(out, 'quality.md'), `${table}\n`);
  console.log(table);
  if (failed.length || rows.some((r) => r.ok === false)) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 2;
});

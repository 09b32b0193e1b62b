// The CLI as a user runs it: the bundled entry (scripts/build-node.mjs) in a child process. The
// failure paths and `generate` need no GPU, so they run here and in CI; every failure must exit
// non-zero with a message that says what was wrong.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const root = resolve(import.meta.dirname, '../..');
const bundle = join(root, 'dist-node/studio.mjs');

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('node', [bundle, ...args], { cwd: root, timeout: 60_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('studio CLI', () => {
  beforeAll(async () => {
    // the bundle `npm run build:cli` makes
    await promisify(execFile)('node', ['scripts/build-node.mjs', 'studio'], { cwd: root });
  }, 120_000);

  it("--help prints the usage on stdout and exits 0; <command> --help prints that command's", async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = await run(args);
      expect([r.code, r.stderr], args.join(' ')).toEqual([0, '']);
      expect(r.stdout).toMatch(/^usage:\n\s+studio quantize --model/);
      for (const c of ['eval', 'generate', 'bench']) expect(r.stdout).toContain(`studio ${c} --`);
    }
    for (const c of ['quantize', 'eval', 'generate', 'bench']) {
      for (const args of c === 'quantize'
        ? [
            [c, '--help'],
            [c, '--model', 'bundled', '-h'],
            ['help', c],
          ]
        : [[c, '--help']]) {
        const r = await run(args);
        expect([r.code, r.stderr], args.join(' ')).toEqual([0, '']);
        expect(r.stdout).toMatch(new RegExp(`^usage:\\n\\s+studio ${c} --`));
        for (const other of ['quantize', 'eval', 'generate', 'bench'].filter((o) => o !== c)) expect(r.stdout).not.toContain(`studio ${other} --`);
      }
    }
  });

  it('without a GPU, quantize says what Dawn needs (Vulkan loader and driver), not browser advice', async () => {
    // No Vulkan driver to be found, whatever this machine has (the Vulkan loader reads these).
    const noDriver = { VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' };
    const r = await run(['quantize', '--model', 'bundled', '--calibSamples', '2', '--seqLen', '32'], noDriver);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/error: WebGPU is not available here \(no GPU adapter was offered\)\. The CLI gets WebGPU from Dawn/);
    expect(r.stderr).toMatch(/Vulkan loader and your GPU's Vulkan driver/);
    expect(r.stderr).toContain('apt-get install libvulkan1 mesa-vulkan-drivers');
    expect(r.stderr).not.toMatch(/Chrome|Chromium|Firefox|Safari/);
  });

  it('an unknown command prints the usage and exits 1', async () => {
    const r = await run(['quantise']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/usage:\n\s+studio quantize --model/);
  });

  it('a model path that does not exist is named', async () => {
    const r = await run(['quantize', '--model', '/no/such/model.gguf']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: model path \/no\/such\/model\.gguf does not exist/);
  });

  it('a bad setting is named with what it accepts, before any GPU work', async () => {
    const r = await run(['quantize', '--model', 'bundled', '--bits', '5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: bits=5 is not valid \(expected one of 2, 3, 4, 8\)\.\n/);
    expect(r.stdout).toBe('');
    const u = await run(['quantize', '--model', 'bundled', '--bitz', '3']);
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/^error: unknown flag --bitz\.\n/);
  });

  it('a flag without its value, an unknown shape and an unknown bench method are refused', async () => {
    expect((await run(['quantize', '--model'])).stderr).toMatch(/--model needs a value/);
    const g = await run(['generate', '--shape', 'gpt5', '--out', '/tmp/x']);
    expect(g.code).toBe(1);
    expect(g.stderr).toMatch(/--shape gpt5 is not one of .*smollm2-135m/);
    const b = await run(['bench', '--methods', 'rtn,spqr']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/--methods: "spqr" is not one of rtn, awq, teq, tesseraq/);
    const k = await run(['bench', '--kernels', '2']);
    expect(k.code).toBe(1);
    expect(k.stderr).toMatch(/--kernels takes 0, 1 or only, not "2"/);
    const t = await run(['quantize', '--model', 'bundled', '--dawnToggles', 'skip_validation,skip validation']);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/--dawnToggles takes comma-separated Dawn toggle names such as skip_validation, not "skip validation"/);
  });

  it('a random .bin is "not a llama2.c model", not one missing its tokenizer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-bin-'));
    try {
      const file = join(dir, 'random.bin');
      await writeFile(
        file,
        Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24),
      );
      const r = await run(['eval', '--model', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: .*random\.bin: is not a llama2\.c v0 model: its header is implausible \(dim\)/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('generate writes a loadable folder (no GPU needed)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-gen-'));
    try {
      const r = await run(['generate', '--shape', 'tiny-qwen2', '--out', dir]);
      expect(r.code).toBe(0);
      expect((await readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
      const { loadModelFromFiles } = await import('../formats/load');
      const { pathSources } = await import('./node-files');
      const m = await loadModelFromFiles(await pathSources(dir));
      expect([m.weights.config.sourceArchitecture, m.weights.config.qkvBias, m.weights.config.layers]).toEqual(['Qwen2ForCausalLM', true, 2]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// Hostile files: seeded mutations of the bundled safetensors, GGUF and llama2.c stories260K must
// each end in a typed error (BadInputError: FormatError/HubError) or a valid model whose every
// tensor reads back with the size its shape says, within a time bound, without a hang or a
// runaway allocation (a watchdog thread kills the run on either). A failing case is reproducible
// from its format and index: the seed is BASE_SEED + index.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BadInputError } from '../gpu/errors';
import type { LoadedModel } from '../core/model-config';
import { bytesSource, type ByteSource } from './byte-source';
import { FormatError } from './errors';
import { loadGguf } from './gguf-model';
import { parseHfConfig } from './hf-config';
import { loadHfFolder } from './hf-folder';
import { loadLlama2c } from './llama2c';
import { loadModelFromFiles } from './load';
import {
  cutPoint,
  flipBytes,
  FuzzRng,
  GGUF_LIES,
  ggufFields,
  ggufLie,
  giantMetadataSource,
  llama2cLie,
  SAFETENSORS_LIES,
  safetensorsLie,
  LLAMA2C_FIELDS,
  llama2cTokenizerFields,
  mutateField,
  mutateHfConfig,
  mutateSafetensorsJson,
  readSafetensorsJson,
  writeSafetensorsJson,
} from './testing/fuzz-mutate';
import { startWatchdog } from './testing/fuzz-watchdog';
import { tinyLlamaKv, writeGguf } from './testing/gguf-writer';
import { buildWeightSource } from './weight-source';

const CASES = Number(process.env.FUZZ_CASES ?? 3000);
const BASE_SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const CASE_LIMIT_MS = 2000;
/** Cases per format of the structural lies, each of which must be refused. */
const LIE_CASES = Number(process.env.FUZZ_LIE_CASES ?? 700);
const SENTENCE = 'Once upon a time, there was a little girl named Lily.';

const MODELS = resolve(__dirname, '../../public/models');
const read = (p: string) => new Uint8Array(readFileSync(resolve(MODELS, p)));
const HF = {
  config: read('stories260K-hf/config.json'),
  tokenizer: read('stories260K-hf/tokenizer.json'),
  tokCfg: read('stories260K-hf/tokenizer_config.json'),
  model: read('stories260K-hf/model.safetensors'),
};
const GGUF = read('stories260K.gguf');
const L2C = { model: read('stories260K.bin'), tokenizer: read('tok512.bin') };

// A hang outlasts any case limit by far; 1.5 GiB is ~100x what loading these 1 MB files needs.
const watchdog = startWatchdog({ hangMs: 15_000, maxRssBytes: 1.5 * 2 ** 30 });
afterAll(() => watchdog.stop());

type Outcome = { kind: 'typed-error'; message: string } | { kind: 'valid' } | { kind: 'failure'; message: string };

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** A loaded model is valid when every tensor reads back as f32 of its shape's size and the tokenizer's ids fit the embedding. */
async function checkModel(m: LoadedModel): Promise<void> {
  const cfg = m.weights.config;
  for (const k of ['hidden', 'intermediate', 'layers', 'heads', 'kvHeads', 'headDim', 'vocab'] as const) {
    if (!(Number.isSafeInteger(cfg[k]) && cfg[k] > 0)) throw new Error(`config.${k} is ${cfg[k]}`);
  }
  for (const [name, shape] of m.weights.shapes) {
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`${name} has shape [${shape}]`);
    const data = await m.weights.get(name);
    if (!(data instanceof Float32Array) || data.length !== prod(shape)) throw new Error(`${name}: read ${data.length} values for shape [${shape}]`);
  }
  for (const [what, id] of [
    ['bos', m.tokenizer.bosId],
    ['eos', m.tokenizer.eosId],
    ['config bos', cfg.bosId],
    ['config eos', cfg.eosId],
    ['largest', m.tokenizer.vocabSize - 1],
  ] as const) {
    if (!(Number.isSafeInteger(id) && id >= 0 && id < cfg.vocab)) throw new Error(`the ${what} token id ${id} is outside the embedding's ${cfg.vocab} rows`);
  }
  const ids = m.tokenizer.encode(SENTENCE);
  const bad = ids.find((id) => !(Number.isInteger(id) && id >= 0 && id < cfg.vocab));
  if (bad !== undefined) throw new Error(`the tokenizer produced id ${bad}, outside the embedding's ${cfg.vocab} rows`);
  if (typeof m.tokenizer.decode(ids) !== 'string') throw new Error('decode did not return a string');
}

async function attempt(load: () => Promise<LoadedModel>): Promise<Outcome> {
  try {
    await checkModel(await load());
    return { kind: 'valid' };
  } catch (e) {
    if (e instanceof BadInputError) return { kind: 'typed-error', message: e.message };
    return { kind: 'failure', message: `untyped ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` };
  }
}

async function runCase(label: string, load: () => Promise<LoadedModel>): Promise<Outcome & { ms: number }> {
  watchdog.begin(label);
  const t0 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Outcome>((ok) => {
    timer = setTimeout(() => ok({ kind: 'failure', message: `no result within ${CASE_LIMIT_MS} ms` }), CASE_LIMIT_MS);
  });
  const outcome = await Promise.race([attempt(load), timeout]);
  clearTimeout(timer);
  watchdog.end();
  const ms = performance.now() - t0;
  if (outcome.kind !== 'failure' && ms > CASE_LIMIT_MS) return { kind: 'failure', message: `took ${Math.round(ms)} ms`, ms };
  return { ...outcome, ms };
}

interface Tally {
  failures: string[];
  byMutation: Map<string, { valid: number; error: number }>;
  slowestMs: number;
}

async function fuzz(format: string, makeCase: (rng: FuzzRng) => { mutation: string; detail: string; load: () => Promise<LoadedModel> }): Promise<Tally> {
  const tally: Tally = { failures: [], byMutation: new Map(), slowestMs: 0 };
  for (let i = 0; i < CASES; i++) {
    const rng = new FuzzRng(BASE_SEED + i);
    const c = makeCase(rng);
    const label = `${format}#${i} (${c.mutation}: ${c.detail})`;
    const r = await runCase(label, c.load);
    tally.slowestMs = Math.max(tally.slowestMs, r.ms);
    const t = tally.byMutation.get(c.mutation) ?? { valid: 0, error: 0 };
    tally.byMutation.set(c.mutation, t);
    if (r.kind === 'failure') tally.failures.push(`${label}: ${r.message}`);
    else if (r.kind === 'valid') t.valid++;
    else t.error++;
  }
  const rows = [...tally.byMutation].map(([m, t]) => `${m} ${t.error} errors/${t.valid} valid`);
  console.log(`${format}: ${CASES} cases, slowest ${Math.round(tally.slowestMs)} ms; ${rows.join('; ')}`);
  return tally;
}

function expectSound(t: Tally): void {
  expect(t.failures.slice(0, 20), `${t.failures.length} cases neither failed with a typed error nor loaded a valid model`).toEqual([]);
  const total = [...t.byMutation.values()].reduce((a, x) => ({ valid: a.valid + x.valid, error: a.error + x.error }), { valid: 0, error: 0 });
  // Both outcomes occur: the mutations reach the validation, and they are not all rejected up front.
  expect(total.error).toBeGreaterThan(CASES / 4);
  expect(total.valid).toBeGreaterThan(0);
}

const copy = (b: Uint8Array) => b.slice();
const src = (name: string, b: Uint8Array): ByteSource => bytesSource(name, b);

describe('hostile files (seeded fuzz)', () => {
  test('the unmutated fixtures load as valid models (control)', async () => {
    const hf = () =>
      loadHfFolder([
        src('config.json', HF.config),
        src('tokenizer.json', HF.tokenizer),
        src('tokenizer_config.json', HF.tokCfg),
        src('model.safetensors', HF.model),
      ]);
    expect((await runCase('control hf', hf)).kind).toBe('valid');
    expect((await runCase('control gguf', () => loadGguf(src('stories260K.gguf', GGUF)))).kind).toBe('valid');
    expect((await runCase('control llama2c', () => loadLlama2c(src('stories260K.bin', L2C.model), src('tok512.bin', L2C.tokenizer)))).kind).toBe('valid');
  });

  test(`safetensors + config.json: ${CASES} cases`, async () => {
    const { header: cleanHeader, headerLen } = readSafetensorsJson(HF.model);
    const dataSize = HF.model.byteLength - 8 - headerLen;
    const cleanConfig = JSON.parse(new TextDecoder().decode(HF.config));
    const t = await fuzz('safetensors', (rng) => {
      let model: Uint8Array = HF.model;
      let config: Uint8Array = HF.config;
      let mutation: string;
      let detail: string;
      const kind = rng.int(7);
      if (kind === 0) {
        model = copy(model);
        mutation = 'header length';
        detail = mutateField(rng, model, [{ pos: 0, width: 8, role: 'header length' }]);
      } else if (kind === 1) {
        model = copy(model);
        mutation = 'byte flips in header';
        detail = flipBytes(rng, model, 0, 8 + headerLen);
      } else if (kind === 2) {
        // Digits changed inside the JSON: still JSON, with other shapes and offsets.
        model = copy(model);
        mutation = 'digit edits in JSON';
        const digits: number[] = [];
        for (let p = 8; p < 8 + headerLen; p++) if (model[p] >= 0x30 && model[p] <= 0x39) digits.push(p);
        const at = Array.from({ length: 1 + rng.int(3) }, () => rng.pick(digits));
        for (const p of at) model[p] = 0x30 + rng.int(10);
        detail = `digits at ${at.join(',')}`;
      } else if (kind === 3 || kind === 4) {
        const header = structuredClone(cleanHeader);
        const edits = Array.from({ length: 1 + rng.int(3) }, () => mutateSafetensorsJson(rng, header, dataSize));
        const keepLength = rng.chance(0.1);
        model = writeSafetensorsJson(HF.model, headerLen, header, keepLength);
        mutation = 'JSON header edits';
        detail = `${edits.join('; ')}${keepLength ? '; stale length' : ''}`;
      } else if (kind === 5) {
        const at = cutPoint(rng, model.byteLength, 8 + headerLen);
        model = model.slice(0, at);
        mutation = 'truncation';
        detail = `at ${at}`;
      } else {
        const cfg = structuredClone(cleanConfig);
        mutation = 'config.json edits';
        detail = Array.from({ length: 1 + rng.int(2) }, () => mutateHfConfig(rng, cfg)).join('; ');
        config = new TextEncoder().encode(JSON.stringify(cfg));
      }
      const files = [src('config.json', config), src('tokenizer.json', HF.tokenizer), src('tokenizer_config.json', HF.tokCfg), src('model.safetensors', model)];
      const viaDetection = rng.chance(0.3);
      return { mutation, detail, load: () => (viaDetection ? loadModelFromFiles(files) : loadHfFolder(files)) };
    });
    expectSound(t);
  });

  test(`GGUF: ${CASES} cases`, async () => {
    const { fields, headerEnd } = ggufFields(GGUF);
    const t = await fuzz('gguf', (rng) => {
      const bytes = copy(GGUF);
      let file: Uint8Array = bytes;
      let mutation: string;
      let detail: string;
      const kind = rng.int(6);
      if (kind <= 2) {
        mutation = 'header fields';
        detail = Array.from({ length: 1 + rng.int(2) }, () => mutateField(rng, bytes, fields)).join('; ');
      } else if (kind === 3) {
        mutation = 'byte flips in header';
        detail = flipBytes(rng, bytes, 0, headerEnd);
      } else if (kind === 4) {
        const at = cutPoint(rng, bytes.byteLength, headerEnd);
        file = bytes.subarray(0, at);
        mutation = 'truncation';
        detail = `at ${at}`;
      } else {
        mutation = 'byte flips anywhere';
        detail = flipBytes(rng, bytes, 0, bytes.byteLength);
      }
      const viaDetection = rng.chance(0.3);
      return { mutation, detail, load: () => (viaDetection ? loadModelFromFiles([src('model.gguf', file)]) : loadGguf(src('model.gguf', file))) };
    });
    expectSound(t);
  });

  test(`llama2.c model + tokenizer: ${CASES} cases`, async () => {
    const tokFields = llama2cTokenizerFields(L2C.tokenizer, 512);
    const t = await fuzz('llama2c', (rng) => {
      let model: Uint8Array = L2C.model;
      let tok: Uint8Array = L2C.tokenizer;
      let mutation: string;
      let detail: string;
      const kind = rng.int(6);
      if (kind === 0 || kind === 1) {
        model = copy(model);
        mutation = 'model header fields';
        detail = Array.from({ length: 1 + rng.int(2) }, () => mutateField(rng, model, LLAMA2C_FIELDS)).join('; ');
      } else if (kind === 2) {
        model = copy(model);
        mutation = 'byte flips in model header';
        detail = flipBytes(rng, model, 0, 28);
      } else if (kind === 3) {
        const at = cutPoint(rng, model.byteLength, 28);
        model = model.slice(0, at);
        mutation = 'model truncation';
        detail = `at ${at}`;
      } else if (kind === 4) {
        tok = copy(tok);
        mutation = 'tokenizer fields';
        detail = Array.from({ length: 1 + rng.int(2) }, () => mutateField(rng, tok, tokFields)).join('; ');
      } else if (rng.chance(0.5)) {
        tok = copy(tok);
        mutation = 'byte flips in tokenizer';
        detail = flipBytes(rng, tok, 0, tok.byteLength);
      } else {
        const at = rng.int(tok.byteLength);
        tok = tok.slice(0, at);
        mutation = 'tokenizer truncation';
        detail = `at ${at}`;
      }
      const files = [src('stories260K.bin', model), src('tok512.bin', tok)];
      const viaDetection = rng.chance(0.3);
      return { mutation, detail, load: () => (viaDetection ? loadModelFromFiles(files) : loadLlama2c(files[0], files[1])) };
    });
    expectSound(t);
  });
});

// Files that parse but whose parts do not agree (overlapping or gapped offsets, a name twice, a
// dtype smaller than its data, a header length off by a few bytes, token ids past the embedding,
// sizes that disagree with the tensors, giant metadata): loading any of them as a model would give
// garbage weights or ids, so every case must end in a typed error.
describe('structural lies (seeded; every case must be refused)', () => {
  async function mustReject(
    format: string,
    classes: readonly string[],
    makeCase: (rng: FuzzRng, kind: string) => { detail: string; load: () => Promise<LoadedModel>; after?: () => string | undefined },
  ): Promise<void> {
    const failures: string[] = [];
    const counts = new Map<string, number>();
    for (let i = 0; i < LIE_CASES; i++) {
      const rng = new FuzzRng(BASE_SEED + 1_000_000 + i);
      const kind = classes[i % classes.length];
      const c = makeCase(rng, kind);
      const label = `${format} lie #${i} (${kind}: ${c.detail})`;
      const r = await runCase(label, c.load);
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
      if (r.kind === 'valid') failures.push(`${label}: loaded as a valid model`);
      else if (r.kind === 'failure') failures.push(`${label}: ${r.message}`);
      const extra = c.after?.();
      if (extra) failures.push(`${label}: ${extra}`);
    }
    console.log(`${format} lies: ${LIE_CASES} cases, all refused unless listed below; ${[...counts].map(([k, n]) => `${k} ${n}`).join('; ')}`);
    expect(failures.slice(0, 20), `${failures.length} lies were not refused`).toEqual([]);
  }

  test(`safetensors + config.json: ${LIE_CASES} lies`, async () => {
    const cleanConfig = JSON.parse(new TextDecoder().decode(HF.config));
    await mustReject('safetensors', SAFETENSORS_LIES, (rng, kind) => {
      const lie = safetensorsLie(rng, kind as (typeof SAFETENSORS_LIES)[number], HF.model, structuredClone(cleanConfig));
      const files = [
        src('config.json', new TextEncoder().encode(JSON.stringify(lie.config))),
        src('tokenizer.json', HF.tokenizer),
        src('tokenizer_config.json', HF.tokCfg),
        src('model.safetensors', lie.model),
      ];
      return { detail: lie.detail, load: () => loadHfFolder(files) };
    });
  });

  test(`GGUF: ${LIE_CASES} lies`, async () => {
    await mustReject('gguf', [...GGUF_LIES, 'giant metadata'], (rng, kind) => {
      if (kind === 'giant metadata') {
        // Refused from what the header declares: at most the first chunk (1 MiB) is read.
        const g = giantMetadataSource(rng, GGUF);
        return {
          detail: g.detail,
          load: () => loadGguf(g.source),
          after: () => (g.bytesRead() > 2 ** 21 ? `read ${g.bytesRead()} bytes before refusing` : undefined),
        };
      }
      const lie = ggufLie(rng, kind as (typeof GGUF_LIES)[number], GGUF);
      return { detail: lie.detail, load: () => loadGguf(src('model.gguf', lie.file)) };
    });
  });

  test(`llama2.c: ${LIE_CASES} lies`, async () => {
    await mustReject('llama2c', ['inconsistent header'], (rng) => {
      const lie = llama2cLie(rng, L2C.model);
      const files = [src('stories260K.bin', lie.file), src('tok512.bin', L2C.tokenizer)];
      const viaDetection = rng.chance(0.5);
      return { detail: lie.detail, load: () => (viaDetection ? loadModelFromFiles(files) : loadLlama2c(files[0], files[1])) };
    });
  });
});

describe('regressions found by the fuzz', () => {
  // A layer count of 10^5 took 8 s (the expected tensor list is built per layer); 2^30 ran out of memory.
  // The message shows the config check refused it before any per-layer work; the time bound only
  // catches a relapse (2^30 layers would take hours), so it is loose enough for any loaded machine.
  async function rejectedQuickly(load: () => Promise<unknown>, message: RegExp): Promise<void> {
    const t0 = performance.now();
    const e = await load().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(FormatError);
    expect((e as Error).message).toMatch(message);
    expect(performance.now() - t0).toBeLessThan(20_000);
  }

  test('config.json with 100000 or 2^30 layers is rejected at once', async () => {
    for (const layers of [100_000, 2 ** 30]) {
      const cfg = { ...JSON.parse(new TextDecoder().decode(HF.config)), num_hidden_layers: layers };
      const files = [
        src('config.json', new TextEncoder().encode(JSON.stringify(cfg))),
        src('tokenizer.json', HF.tokenizer),
        src('model.safetensors', HF.model),
      ];
      await rejectedQuickly(() => loadHfFolder(files), new RegExp(`field "num_hidden_layers" is ${layers}, expected a positive integer up to 1024`));
    }
    expect(parseHfConfig({ ...JSON.parse(new TextDecoder().decode(HF.config)), num_hidden_layers: 1024 }).layers).toBe(1024);
  });

  test('GGUF with llama.block_count 2^30 is rejected at once', async () => {
    const file = writeGguf({ kv: tinyLlamaKv({ 'llama.block_count': { type: 'u32', value: 2 ** 30 } }), tensors: [] });
    await rejectedQuickly(() => loadGguf(src('huge.gguf', file)), /metadata "llama\.block_count" is 1073741824, expected a positive integer up to 1024/);
  });

  test('buildWeightSource refuses a config with more layers than the limit, whatever the format', async () => {
    const m = await loadGguf(src('stories260K.gguf', GGUF));
    const config = { ...m.weights.config, layers: 2 ** 30 };
    await rejectedQuickly(
      async () => buildWeightSource(config, new Map(), 'x.bin'),
      /x\.bin: declares 1073741824 layers in the header, over the limit of 1024/,
    );
  });
});

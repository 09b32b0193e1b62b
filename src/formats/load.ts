// One entry point for every way a model arrives: local files (GGUF, llama2.c .bin + tokenizer
// .bin, or a Hugging Face folder), the bundled stories260K, or a Hugging Face Hub repo.
import type { LoadedModel } from '../core/model-config';
import { blobSource, bytesSource, type ByteSource } from './byte-source';
import { FormatError } from './errors';
import { GGUF_MAGIC } from './gguf';
import { loadGguf } from './gguf-model';
import { baseName, loadHfFolder } from './hf-folder';
import { loadFromHub as loadFromHubImpl, type HubOptions } from './hub';
import { loadLlama2c, readLlama2cHeader } from './llama2c';

export type { HubOptions, HubProgress } from './hub';

const SUPPORTED_FILES =
  'Select one of: a .gguf file; a llama2.c model .bin together with its tokenizer .bin; or a Hugging Face model folder (config.json, tokenizer.json and model.safetensors or model.safetensors.index.json with its shards)';

function isByteSource(f: unknown): f is ByteSource {
  return typeof f === 'object' && f !== null && typeof (f as ByteSource).read === 'function' && typeof (f as ByteSource).size === 'number';
}

function toSource(f: ByteSource | Blob): ByteSource {
  if (isByteSource(f)) return f;
  const path = (f as File & { webkitRelativePath?: string }).webkitRelativePath || (f as File).name || 'file';
  return blobSource(f, path);
}

async function startsWithGgufMagic(s: ByteSource): Promise<boolean> {
  if (s.size < 4) return false;
  const b = await s.read(0, 4);
  return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0 === GGUF_MAGIC;
}

export async function loadModelFromFiles(files: (ByteSource | File)[]): Promise<LoadedModel> {
  const sources = files.map(toSource);
  if (sources.length === 0) throw new FormatError('(no files)', 'nothing was selected', SUPPORTED_FILES);
  const names = sources.map((s) => baseName(s.name).toLowerCase());

  const ggufs: ByteSource[] = [];
  for (const s of sources) if (baseName(s.name).toLowerCase().endsWith('.gguf') || (await startsWithGgufMagic(s))) ggufs.push(s);
  if (ggufs.length > 1)
    throw new FormatError(ggufs.map((g) => g.name).join(', '), 'are several GGUF files', 'Select one .gguf file (split GGUF files are not supported)');
  if (ggufs.length === 1) return loadGguf(ggufs[0]);

  if (names.includes('config.json') || names.some((n) => n.endsWith('.safetensors') || n === 'model.safetensors.index.json')) {
    return loadHfFolder(sources);
  }

  const bins = sources.filter((s) => baseName(s.name).toLowerCase().endsWith('.bin'));
  if (bins.length > 0) {
    if (names.includes('pytorch_model.bin')) {
      throw new FormatError('pytorch_model.bin', 'is a PyTorch pickle, which this studio does not read', "Use the repo's .safetensors weights");
    }
    // The model is the largest .bin (a tokenizer .bin is far smaller than any model of its vocabulary);
    // its header's own fault (a field, the size it implies) is the message, not a generic one.
    const model = bins.reduce((a, b) => (b.size > a.size ? b : a));
    await readLlama2cHeader(model);
    if (bins.length !== 2) {
      throw new FormatError(
        model.name,
        bins.length === 1 ? 'is a llama2.c model without its tokenizer' : `came with ${bins.length - 1} other .bin files`,
        'Select the model .bin and exactly one tokenizer .bin (e.g. stories260K.bin + tok512.bin)',
      );
    }
    return loadLlama2c(
      model,
      bins.find((b) => b !== model)!,
    );
  }
  throw new FormatError(sources.map((s) => s.name).join(', '), 'are not a model this studio recognises', SUPPORTED_FILES);
}

export type BundledFormat = 'gguf' | 'llama2c' | 'hf';

const BUNDLED_FILES: Record<BundledFormat, string[]> = {
  gguf: ['stories260K.gguf'],
  llama2c: ['stories260K.bin', 'tok512.bin'],
  hf: ['stories260K-hf/config.json', 'stories260K-hf/tokenizer.json', 'stories260K-hf/tokenizer_config.json', 'stories260K-hf/model.safetensors'],
};

function defaultBundledBase(): string {
  const base = (import.meta as { env?: { BASE_URL?: string } }).env?.BASE_URL ?? '/';
  return `${base.replace(/\/?$/, '/')}models/`;
}

/**
 * The bundled stories260K from `baseUrl` (default: the app's public/models/). The files are
 * small, so they are fetched whole. 'gguf' (default) and 'llama2c' keep the interleaved rotary
 * layout; 'hf' is the converted Hugging Face folder (half-split layout).
 */
export async function loadBundled(baseUrl = defaultBundledBase(), opts: { format?: BundledFormat; fetch?: typeof fetch } = {}): Promise<LoadedModel> {
  const format = opts.format ?? 'gguf';
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const base = new URL(baseUrl.replace(/\/?$/, '/'), (globalThis as { location?: { href: string } }).location?.href ?? 'http://localhost/');
  const sources = await Promise.all(
    BUNDLED_FILES[format].map(async (f) => {
      const url = new URL(f, base).href;
      const res = await doFetch(url);
      if (!res.ok)
        throw new FormatError(
          f,
          `could not be fetched from ${url} (${res.status})`,
          "The app's public/models folder is incomplete: run node scripts/make-hf-fixture.mjs",
        );
      return bytesSource(baseName(f), new Uint8Array(await res.arrayBuffer()));
    }),
  );
  const model = format === 'gguf' ? await loadGguf(sources[0]) : format === 'llama2c' ? await loadLlama2c(sources[0], sources[1]) : await loadHfFolder(sources);
  model.weights.config.name = 'stories260K';
  return { ...model, source: 'bundled:stories260K' };
}

export function loadFromHub(repo: string, opts: HubOptions = {}): Promise<LoadedModel> {
  return loadFromHubImpl(repo, opts);
}

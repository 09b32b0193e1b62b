// Hugging Face Hub loader: repo id + revision -> config.json, tokenizer.json and safetensors
// weights, fetched from `${endpoint}/${repo}/resolve/${revision}/${file}` (where main has only
// pytorch_model.bin, from the safetensors conversion's pull request, as transformers does). Safetensors headers are
// read first with Range requests, so a model that does not fit the config fails before gigabytes
// move; then the data streams into the cache (with progress) and a cut download resumes with a
// Range request on the next load. The access token is only ever held in memory.
import type { LoadedModel } from '../core/model-config';
import { totalFromContentRange, type ByteSource } from './byte-source';
import { FormatError, HubError } from './errors';
import { checkRepoId, checkRevision } from './hub-ids';
import { parseHfConfig, refuseQuantizedCheckpoint } from './hf-config';
import { INDEX_FILE, loadHfFolder, parseSafetensorsIndex, tensorsFromSafetensors } from './hf-folder';
import { defaultHubCache, type HubCache, type HubCacheKey } from './hub-cache';
import { readJson } from './byte-source';
import { readSafetensorsHeader, type SafetensorsFile } from './safetensors';
import { buildWeightSource } from './weight-source';
import { CONVERSION_BOT, conversionRevision } from './hub-conversion';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export interface HubProgress {
  file: string;
  /** Bytes of this file available so far (resumed bytes included). */
  loaded: number;
  total?: number;
  /** 'header': reading a safetensors header; 'download': streaming; 'cached': already stored. */
  phase: 'header' | 'download' | 'cached';
}

export interface HubOptions {
  revision?: string;
  /** Hugging Face access token for private or gated repos; never stored, never logged. */
  token?: string;
  endpoint?: string;
  onProgress?: (p: HubProgress) => void;
  cache?: HubCache;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

const COMMIT = /^[0-9a-f]{40}$/;

interface Ctx {
  repo: string;
  revision: string;
  endpoint: string;
  cache: HubCache;
  fetch: typeof fetch;
  headers: Record<string, string>;
  hasToken: boolean;
  onProgress: (p: HubProgress) => void;
  signal?: AbortSignal;
}

export function hubFileUrl(endpoint: string, repo: string, revision: string, file: string): string {
  return `${endpoint.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

function httpError(ctx: Ctx, file: string, res: Response): HubError {
  const where = `"${file}" in ${ctx.repo} at revision "${ctx.revision}"`;
  if (res.status === 404) {
    return new HubError(404, `Hugging Face Hub: ${where} was not found (404). Check the repo id (owner/name) and the revision (a branch, tag or commit).`);
  }
  if (res.status === 401 || res.status === 403) {
    return new HubError(
      res.status,
      ctx.hasToken
        ? `Hugging Face Hub refused ${where} (${res.status}) with the token given: the token may be wrong or expired, lack read access to this repo, or the model is gated and its licence not yet accepted on the model page.`
        : `Hugging Face Hub: ${where} needs authorization (${res.status}). The repo is private or gated (or does not exist): paste an access token with read access (kept in memory only), and for gated models accept the licence on the model page first.`,
    );
  }
  return new HubError(res.status, `Hugging Face Hub answered ${res.status} ${res.statusText} for ${where}. Try again later.`);
}

async function request(ctx: Ctx, file: string, init: { method?: string; headers?: Record<string, string> }): Promise<Response> {
  const url = hubFileUrl(ctx.endpoint, ctx.repo, ctx.revision, file);
  try {
    return await ctx.fetch(url, { method: init.method ?? 'GET', headers: { ...ctx.headers, ...init.headers }, signal: ctx.signal });
  } catch (e) {
    if (ctx.signal?.aborted) throw e;
    throw new HubError(
      undefined,
      `Could not reach ${ctx.endpoint} for "${file}" (${(e as Error).message}). Check the connection; the endpoint must allow cross-origin requests from this page.`,
    );
  }
}

function etagOf(res: Response): string | undefined {
  return res.headers.get('x-linked-etag') ?? res.headers.get('etag') ?? undefined;
}

/**
 * Makes sure `file` is completely in the cache and returns it; undefined for an optional file
 * the repo does not have. A partial entry is resumed with `Range` + `If-Range`.
 */
async function cachedFile(ctx: Ctx, file: string, opts: { optional?: boolean; firstResponse?: Response } = {}): Promise<ByteSource | undefined> {
  const key: HubCacheKey = { repo: ctx.repo, revision: ctx.revision, file };
  const st = await ctx.cache.stat(key);
  if (st?.complete) {
    // A commit is immutable; a branch may have moved, so compare the ETag (offline: use the cache).
    let fresh = COMMIT.test(ctx.revision) || !st.etag;
    if (!fresh) {
      try {
        const head = await request(ctx, file, { method: 'HEAD' });
        fresh = !head.ok || etagOf(head) === undefined || etagOf(head) === st.etag;
      } catch {
        fresh = true;
      }
    }
    if (fresh) {
      ctx.onProgress({ file, loaded: st.stored, total: st.stored, phase: 'cached' });
      return ctx.cache.source(key);
    }
  }
  const resumeFrom = st && !st.complete && st.stored > 0 && st.etag ? st.stored : 0;
  let res = opts.firstResponse;
  if (!res || resumeFrom > 0) {
    await opts.firstResponse?.body?.cancel();
    res = await request(ctx, file, resumeFrom > 0 ? { headers: { Range: `bytes=${resumeFrom}-`, 'If-Range': st!.etag! } } : {});
  }
  if (res.status === 416) {
    // The stored part no longer fits the file: start over.
    await res.body?.cancel();
    await ctx.cache.delete(key);
    return cachedFile(ctx, file, opts);
  }
  if (!res.ok) {
    await res.body?.cancel();
    if (res.status === 404 && opts.optional) return undefined;
    throw httpError(ctx, file, res);
  }
  let start = 0;
  let total: number | undefined;
  if (res.status === 206) {
    start = Number(/bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1] ?? NaN);
    total = totalFromContentRange(res.headers.get('content-range'));
    if (start !== resumeFrom) {
      await res.body?.cancel();
      throw new HubError(206, `Hugging Face Hub sent "${file}" from byte ${start}, not ${resumeFrom} as asked. Try again.`);
    }
  } else {
    const len = res.headers.get('content-length');
    total = len !== null ? Number(len) : undefined;
  }
  const writer = await ctx.cache.openWriter(key, { size: total, etag: etagOf(res), resume: start > 0 });
  let loaded = start;
  ctx.onProgress({ file, loaded, total, phase: 'download' });
  try {
    if (!res.body) throw new Error('no body');
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await writer.write(value);
      loaded += value.byteLength;
      ctx.onProgress({ file, loaded, total, phase: 'download' });
    }
  } catch (e) {
    await writer.abort();
    if (ctx.signal?.aborted) throw e;
    throw truncated(ctx, file, loaded, total, (e as Error).message);
  }
  if (total !== undefined && loaded !== total) {
    await writer.abort();
    throw truncated(ctx, file, loaded, total, 'the body ended early');
  }
  await writer.finish();
  return ctx.cache.source(key);
}

function truncated(ctx: Ctx, file: string, loaded: number, total: number | undefined, why: string): HubError {
  return new HubError(
    undefined,
    `The download of "${file}" from ${ctx.repo} stopped at ${loaded}${total !== undefined ? ` of ${total}` : ''} bytes (${why}). ` +
      'What arrived is kept: load the model again to resume from there.',
  );
}

/** A range response's body; a connection cut while it arrives is a HubError, not a bare TypeError. */
async function rangeBody(ctx: Ctx, file: string, res: Response, expected: number): Promise<Uint8Array> {
  try {
    return new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    if (ctx.signal?.aborted) throw e;
    throw truncated(ctx, file, 0, expected, `reading a header range: ${(e as Error).message}`);
  }
}

/**
 * A safetensors header read with Range requests, before the data is downloaded. Returns the
 * 200 response instead when the server ignores Range (its body is then the whole file).
 */
async function remoteSafetensorsHeader(ctx: Ctx, file: string): Promise<SafetensorsFile | Response> {
  const probe = await request(ctx, file, { headers: { Range: 'bytes=0-7' } });
  if (!probe.ok) {
    await probe.body?.cancel();
    throw httpError(ctx, file, probe);
  }
  if (probe.status !== 206) return probe;
  const size = totalFromContentRange(probe.headers.get('content-range'));
  const first = await rangeBody(ctx, file, probe, Math.min(8, size ?? 8));
  if (size === undefined || first.byteLength !== Math.min(8, size)) {
    throw new HubError(206, `Hugging Face Hub sent an unusable range of "${file}" (Content-Range ${probe.headers.get('content-range')}). Try again.`);
  }
  ctx.onProgress({ file, loaded: 0, total: size, phase: 'header' });
  const src: ByteSource = {
    name: file,
    size,
    async read(offset, length) {
      if (offset === 0 && length <= first.byteLength) return first.subarray(0, length);
      const res = await request(ctx, file, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
      if (res.status !== 206) {
        await res.body?.cancel();
        throw res.ok ? new HubError(res.status, `Hugging Face Hub stopped honouring Range requests for "${file}". Try again.`) : httpError(ctx, file, res);
      }
      const b = await rangeBody(ctx, file, res, length);
      if (b.byteLength !== length) throw truncated(ctx, file, b.byteLength, length, 'short range response');
      return b;
    },
  };
  return readSafetensorsHeader(src);
}

/** The repo id and revision as the loader reads them, checked as the Hub checks them; and the request context. */
function hubContext(repo: string, opts: HubOptions): Ctx {
  repo = repo
    .trim()
    .replace(/^https?:\/\/huggingface\.co\//, '')
    .replace(/\/+$/, '');
  checkRepoId(repo);
  const revision = opts.revision?.trim() || 'main';
  checkRevision(revision);
  const token = opts.token?.trim();
  return {
    repo,
    revision,
    endpoint: (opts.endpoint ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, ''),
    cache: opts.cache ?? defaultHubCache(),
    fetch: opts.fetch ?? globalThis.fetch.bind(globalThis),
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    hasToken: !!token,
    onProgress: opts.onProgress ?? (() => {}),
    signal: opts.signal,
  };
}

/** What a model's weights weigh on the Hub, asked before anything is downloaded. */
export interface HubModelSize {
  /** Bytes of the safetensors weights (every shard). */
  bytes: number;
  files: string[];
  /** The revision they come from where it is not the one asked for: the safetensors conversion's pull request. */
  revision?: string;
}

/** GET of the Hub's API for this repo (`/api/models/<repo>/<path>`), parsed as JSON. */
async function apiJson(ctx: Ctx, path: string): Promise<unknown> {
  const url = `${ctx.endpoint}/api/models/${ctx.repo}/${path}`;
  let res: Response;
  try {
    res = await ctx.fetch(url, { headers: ctx.headers, signal: ctx.signal });
  } catch (e) {
    if (ctx.signal?.aborted) throw e;
    throw new HubError(undefined, `Could not reach ${ctx.endpoint}'s API for ${ctx.repo} (${(e as Error).message}).`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new HubError(res.status, `Hugging Face Hub's API answered ${res.status} for ${ctx.repo}/${path}.`);
  }
  return res.json();
}

/**
 * Where main has no safetensors weights: the revision of the conversion bot's pull request that
 * adds them (hub-conversion.ts), or undefined (another revision was asked for, there is none, or the
 * API could not say).
 */
async function safetensorsConversion(ctx: Ctx): Promise<string | undefined> {
  if (ctx.revision !== 'main') return undefined;
  try {
    return await conversionRevision((path) => apiJson(ctx, path));
  } catch (e) {
    if (ctx.signal?.aborted) throw e;
    return undefined;
  }
}

function noSafetensors(ctx: Ctx): HubError {
  const conversion = ctx.revision === 'main' ? `, and no open pull request of the Hub's safetensors conversion (${CONVERSION_BOT}) on top of main` : '';
  return new HubError(
    404,
    `${ctx.repo} at "${ctx.revision}" has neither model.safetensors nor ${INDEX_FILE}${conversion}. This loader reads safetensors weights (not pytorch_model.bin): pick a repo or revision that has them.`,
  );
}

/** A file's size from a HEAD request (the Hub's redirect names it in X-Linked-Size; the file itself in Content-Length). */
async function headSize(ctx: Ctx, file: string): Promise<number> {
  const res = await request(ctx, file, { method: 'HEAD' });
  if (!res.ok) throw httpError(ctx, file, res);
  const size = Number(res.headers.get('x-linked-size') ?? res.headers.get('content-length') ?? NaN);
  if (!Number.isSafeInteger(size) || size < 0) throw new HubError(res.status, `Hugging Face Hub did not say how large "${file}" is (no Content-Length).`);
  return size;
}

/**
 * The size of a repo's weights without downloading them: HEAD of model.safetensors, or, for a
 * sharded model, its index (a few kB) and a HEAD of each shard. For asking before a download.
 */
export async function hubModelSize(repo: string, opts: HubOptions = {}): Promise<HubModelSize> {
  const ctx = hubContext(repo, opts);
  try {
    return { bytes: await headSize(ctx, 'model.safetensors'), files: ['model.safetensors'] };
  } catch (e) {
    if (!(e instanceof HubError && e.status === 404)) throw e;
  }
  const res = await request(ctx, INDEX_FILE, {});
  if (!res.ok) {
    await res.body?.cancel();
    if (res.status === 404) {
      const conversion = await safetensorsConversion(ctx);
      if (conversion) return { ...(await hubModelSize(repo, { ...opts, revision: conversion })), revision: conversion };
      throw noSafetensors(ctx);
    }
    throw httpError(ctx, INDEX_FILE, res);
  }
  const { shards } = parseSafetensorsIndex(await res.json(), INDEX_FILE);
  let bytes = 0;
  for (const shard of shards) bytes += await headSize(ctx, shard);
  return { bytes, files: shards };
}

export async function loadFromHub(repoId: string, opts: HubOptions = {}): Promise<LoadedModel> {
  const ctx = hubContext(repoId, opts);
  const { repo, revision } = ctx;

  const configSrc = (await cachedFile(ctx, 'config.json'))!;
  // refused before any weights are downloaded
  const configJson = await readJson(configSrc);
  refuseQuantizedCheckpoint(configJson);
  const config = parseHfConfig(configJson, 'config.json', repo);
  const files: ByteSource[] = [configSrc];
  const tokenizerSrc = await cachedFile(ctx, 'tokenizer.json', { optional: true });
  if (tokenizerSrc) files.push(tokenizerSrc);
  else {
    // GPT-2 style repos (OPT) ship vocab.json + merges.txt instead.
    const vocab = await cachedFile(ctx, 'vocab.json', { optional: true });
    const merges = vocab && (await cachedFile(ctx, 'merges.txt', { optional: true }));
    if (!vocab || !merges) {
      throw new HubError(
        404,
        `${repo} at "${revision}" has no tokenizer.json (nor vocab.json + merges.txt); this loader needs one of them (repos with only tokenizer.model are not supported).`,
      );
    }
    files.push(vocab, merges);
  }
  const tokCfg = await cachedFile(ctx, 'tokenizer_config.json', { optional: true });
  if (tokCfg) files.push(tokCfg);

  const indexSrc = await cachedFile(ctx, INDEX_FILE, { optional: true });
  let shards = ['model.safetensors'];
  let weightMap: Map<string, string> | undefined;
  if (indexSrc) {
    files.push(indexSrc);
    ({ shards, weightMap } = parseSafetensorsIndex(await readJson(indexSrc), INDEX_FILE));
  }

  // Headers first (Range), so a checkpoint that does not match config.json fails before the download.
  const headers: SafetensorsFile[] = [];
  const fullResponses = new Map<string, Response>();
  for (const shard of shards) {
    const st = await ctx.cache.stat({ repo, revision, file: shard });
    if (st?.complete) continue;
    let h: SafetensorsFile | Response;
    try {
      h = await remoteSafetensorsHeader(ctx, shard);
    } catch (e) {
      if (e instanceof HubError && e.status === 404 && !indexSrc) {
        // main with only pytorch_model.bin: the weights of the conversion bot's pull request, as transformers loads them
        const conversion = await safetensorsConversion(ctx);
        if (conversion) return loadFromHub(repoId, { ...opts, revision: conversion });
        throw noSafetensors(ctx);
      }
      throw e;
    }
    if (h instanceof Response) fullResponses.set(shard, h);
    else headers.push(h);
  }
  if (headers.length === shards.length)
    buildWeightSource(config, tensorsFromSafetensors(config, headers, weightMap), shards.length === 1 ? shards[0] : `${INDEX_FILE} shards`, 'config.json');

  for (const shard of shards) {
    const src = await cachedFile(ctx, shard, { firstResponse: fullResponses.get(shard) });
    if (!src) throw new FormatError(shard, 'is missing', 'Check the repo');
    files.push(src);
  }
  return loadHfFolder(files, `hf:${repo}@${revision}`);
}

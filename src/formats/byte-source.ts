// Random access to a file's bytes, so big local or remote files are read by range, never whole.
import { FormatError } from './errors';

export interface ByteSource {
  /** File name (for messages and format detection). */
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes at `offset`; callers check bounds against `size` first. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Rejects reads outside the file with an error naming the file and what was being read. */
export function checkRange(src: { name: string; size: number }, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > src.size) {
    throw new FormatError(
      src.name,
      `${what} needs bytes ${offset}..${offset + length} but the file has ${src.size} bytes`,
      'The file is truncated or corrupt: download it again',
    );
  }
}

export function bytesSource(name: string, bytes: Uint8Array): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    async read(offset, length) {
      checkRange(this, offset, length, 'a read');
      return bytes.subarray(offset, offset + length);
    },
  };
}

/** A browser File or Blob (also Node's Blob): slices are read lazily. */
export function blobSource(blob: Blob, name = (blob as File).name ?? 'blob'): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset, length) {
      checkRange(this, offset, length, 'a read');
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

/**
 * `src` whose reads stop once `signal` is aborted (a cancelled load ends at its next read instead of
 * parsing on), and count what they read.
 */
export function abortableSource(src: ByteSource, signal: AbortSignal, onRead?: (bytes: number) => void): ByteSource {
  return {
    name: src.name,
    size: src.size,
    async read(offset, length) {
      if (signal.aborted) throw signal.reason ?? new Error('aborted');
      const bytes = await src.read(offset, length);
      if (signal.aborted) throw signal.reason ?? new Error('aborted');
      onRead?.(bytes.byteLength);
      return bytes;
    },
  };
}

export interface HttpSourceOptions {
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /** Known size (skips the probe request). */
  size?: number;
}

/**
 * A remote file read with HTTP Range requests. When the server ignores Range (answers 200), the
 * whole body is downloaded once and served from memory.
 */
export async function httpSource(url: string, opts: HttpSourceOptions = {}): Promise<ByteSource> {
  const doFetch = opts.fetch ?? fetch;
  const name = decodeURIComponent(new URL(url, 'http://x/').pathname.split('/').pop() ?? url);
  const probe = await doFetch(url, { headers: { ...opts.headers, Range: 'bytes=0-0' } });
  if (!probe.ok) {
    await probe.body?.cancel();
    throw new FormatError(name, `the server answered ${probe.status} ${probe.statusText} for ${url}`, 'Check the address');
  }
  if (probe.status !== 206) {
    const whole = new Uint8Array(await probe.arrayBuffer());
    return bytesSource(name, whole);
  }
  await probe.body?.cancel();
  const size = opts.size ?? totalFromContentRange(probe.headers.get('content-range'));
  if (size === undefined) throw new FormatError(name, `the server sent no usable Content-Range for ${url}`, 'Use a server that supports HTTP Range requests');
  const source: ByteSource = {
    name,
    size,
    async read(offset, length) {
      checkRange(source, offset, length, 'a read');
      if (length === 0) return new Uint8Array(0);
      const res = await doFetch(url, { headers: { ...opts.headers, Range: `bytes=${offset}-${offset + length - 1}` } });
      if (res.status !== 206 && res.status !== 200) throw new FormatError(name, `the server answered ${res.status} to a range request`, 'Try again later');
      const buf = new Uint8Array(await res.arrayBuffer());
      // A 200 means the server sent the whole file after all.
      const out = res.status === 200 ? buf.subarray(offset, offset + length) : buf;
      if (out.byteLength !== length)
        throw new FormatError(name, `asked for ${length} bytes at ${offset}, got ${out.byteLength}`, 'The connection was cut: try again');
      return out;
    },
  };
  return source;
}

/** "bytes 0-0/12345" -> 12345 */
export function totalFromContentRange(h: string | null): number | undefined {
  const m = h ? /\/(\d+)\s*$/.exec(h) : null;
  return m ? Number(m[1]) : undefined;
}

export function utf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}

/** Reads and parses a JSON file, capped in size, with an error that names the file. */
export async function readJson(src: ByteSource, maxBytes = 64 << 20): Promise<unknown> {
  if (src.size > maxBytes) throw new FormatError(src.name, `is ${src.size} bytes, over the ${maxBytes}-byte limit for a JSON file`, 'Is this the right file?');
  const text = utf8(await src.read(0, src.size));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FormatError(src.name, `is not valid JSON (${(e as Error).message})`, 'The file is corrupt or not a JSON file: download it again');
  }
}

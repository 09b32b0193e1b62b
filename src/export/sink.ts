// Where exports go. Exporters write each file tensor by tensor into a FileWriter, so no second
// full copy of the model is built: with the File System Access API the bytes go straight to disk;
// the download fallback collects Blob parts (which browsers may page to disk) and saves them at the
// end; tests use memory; the CLI uses node-sink.ts.

export interface FileWriter {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  /** Bytes written so far. */
  readonly written: number;
}

export interface ExportSink {
  /** Opens one file of the export (folder formats open several, single-file formats one). */
  createFile(name: string): Promise<FileWriter>;
}

/** Counts bytes on top of a raw write function. */
export function countingWriter(write: (c: Uint8Array) => Promise<void>, close: () => Promise<void>): FileWriter {
  let written = 0;
  return {
    get written() {
      return written;
    },
    async write(c) {
      await write(c);
      written += c.byteLength;
    },
    close,
  };
}

export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Everything in memory: for tests, verification and small models. */
export class MemorySink implements ExportSink {
  readonly files = new Map<string, Uint8Array>();
  async createFile(name: string): Promise<FileWriter> {
    const parts: Uint8Array[] = [];
    return countingWriter(
      async (c) => {
        parts.push(c.slice());
      },
      async () => {
        const total = parts.reduce((a, p) => a + p.byteLength, 0);
        const out = new Uint8Array(total);
        let o = 0;
        for (const p of parts) {
          out.set(p, o);
          o += p.byteLength;
        }
        this.files.set(name, out);
      },
    );
  }
  get(name: string): Uint8Array {
    const f = this.files.get(name);
    if (!f) throw new Error(`the export has no file ${name} (has ${[...this.files.keys()].join(', ')})`);
    return f;
  }
}

/** Collects each file as a Blob (the download fallback); `files` is complete once every writer closed. */
export class BlobSink implements ExportSink {
  readonly files = new Map<string, Blob>();
  async createFile(name: string): Promise<FileWriter> {
    const parts: Blob[] = [];
    return countingWriter(
      async (c) => {
        parts.push(new Blob([c as Uint8Array<ArrayBuffer>])); // the Blob takes its own copy
      },
      async () => {
        this.files.set(name, new Blob(parts, { type: 'application/octet-stream' }));
      },
    );
  }
}

// File System Access API types (not yet in TypeScript's DOM lib everywhere).
interface WritableFileStream {
  write(data: BufferSource | Blob): Promise<void>;
  close(): Promise<void>;
  abort?(): Promise<void>;
}
interface FsFileHandle {
  readonly kind: 'file';
  readonly name: string;
  createWritable(): Promise<WritableFileStream>;
}
interface FsDirectoryHandle {
  readonly kind: 'directory';
  readonly name: string;
  getFileHandle(name: string, opts?: { create?: boolean }): Promise<FsFileHandle>;
}

async function handleWriter(h: FsFileHandle): Promise<FileWriter> {
  const s = await h.createWritable();
  return countingWriter(
    (c) => s.write(c as Uint8Array<ArrayBuffer>),
    () => s.close(),
  );
}

/** A folder chosen with showDirectoryPicker(); handles can be passed to a worker. */
export function directoryHandleSink(dir: FsDirectoryHandle | FileSystemDirectoryHandle): ExportSink {
  const d = dir as unknown as FsDirectoryHandle;
  return { createFile: async (name) => handleWriter(await d.getFileHandle(name, { create: true })) };
}

/** A single file chosen with showSaveFilePicker() (ONNX, GGUF): the export writes exactly one file. */
export function fileHandleSink(file: FsFileHandle | FileSystemFileHandle): ExportSink {
  let used = false;
  return {
    createFile: async (name) => {
      if (used) throw new Error(`this export target is a single file (${(file as FsFileHandle).name}); cannot also write ${name}`);
      used = true;
      return handleWriter(file as unknown as FsFileHandle);
    },
  };
}

export type ExportTarget = { kind: 'file'; handle: FileSystemFileHandle } | { kind: 'directory'; handle: FileSystemDirectoryHandle } | { kind: 'download' };

/**
 * Asks the user where to save (main thread only: the pickers need a user gesture). Single-file
 * formats get a save dialog, folder formats a folder picker; without the File System Access API
 * the export falls back to downloads. Returns null if the user cancelled.
 */
export async function pickExportTarget(opts: { folder: boolean; suggestedName: string }): Promise<ExportTarget | null> {
  const w = globalThis as unknown as {
    showSaveFilePicker?: (o: { suggestedName: string }) => Promise<FileSystemFileHandle>;
    showDirectoryPicker?: (o: { mode: 'readwrite' }) => Promise<FileSystemDirectoryHandle>;
  };
  try {
    if (opts.folder && w.showDirectoryPicker) return { kind: 'directory', handle: await w.showDirectoryPicker({ mode: 'readwrite' }) };
    if (!opts.folder && w.showSaveFilePicker) return { kind: 'file', handle: await w.showSaveFilePicker({ suggestedName: opts.suggestedName }) };
  } catch (e) {
    if ((e as { name?: string }).name === 'AbortError') return null;
    throw e;
  }
  return { kind: 'download' };
}

/** The sink for a picked target (in the main thread or in a worker the handle was sent to). */
export function sinkFor(target: ExportTarget): ExportSink {
  if (target.kind === 'file') return fileHandleSink(target.handle);
  if (target.kind === 'directory') return directoryHandleSink(target.handle);
  return new BlobSink();
}

/** Saves Blobs through temporary object URLs (the download fallback); folder files get a prefix. */
export function downloadBlobs(files: Map<string, Blob>, prefix = ''): void {
  for (const [name, blob] of files) {
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = prefix + name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}

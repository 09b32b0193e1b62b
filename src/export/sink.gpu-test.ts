// The browser sinks with real browser APIs: the File System Access API path (an OPFS directory
// handle has the same createWritable() as a picked folder or file), the Blob fallback, and the
// download of Blob files (e2e/export.spec.ts watches the downloads). Each must hold exactly the
// bytes the memory sink gets for the same export.
import type { Gpu } from '../gpu/gpu';
import { loadBundled } from '../formats/load';
import { exportGguf } from './gguf-writer';
import { exportGptq } from './gptq';
import { BlobSink, directoryHandleSink, downloadBlobs, fileHandleSink, MemorySink } from './sink';
import { quantizeOnCpu, type CpuQuantized } from './testing';

let input: CpuQuantized | null = null;
async function quantized(): Promise<CpuQuantized> {
  input ??= await quantizeOnCpu(await loadBundled('/models/', { format: 'gguf' }), { bits: 4, groupSize: 32, symmetric: true });
  return input;
}

function sameBytes(what: string, a: Uint8Array, b: Uint8Array): void {
  if (a.byteLength !== b.byteLength) throw new Error(`${what}: ${a.byteLength} bytes, expected ${b.byteLength}`);
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) throw new Error(`${what}: byte ${i} differs`);
}

async function opfsDir(name: string): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  await root.removeEntry(name, { recursive: true }).catch(() => {});
  return root.getDirectoryHandle(name, { create: true });
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'File System Access: a folder export written through directory handles'() {
    const q = await quantized();
    const mem = new MemorySink();
    await exportGptq(q, mem);
    const dir = await opfsDir('export-test-folder');
    await exportGptq(q, directoryHandleSink(dir));
    for (const [name, bytes] of mem.files) {
      const f = await (await dir.getFileHandle(name)).getFile();
      sameBytes(name, new Uint8Array(await f.arrayBuffer()), bytes);
    }
  },

  async 'File System Access: a single-file export through a file handle, which refuses a second file'() {
    const q = await quantized();
    const mem = new MemorySink();
    await exportGguf(q, mem, { fileName: 'm.gguf' });
    const dir = await opfsDir('export-test-file');
    const handle = await dir.getFileHandle('picked.gguf', { create: true });
    const sink = fileHandleSink(handle);
    await exportGguf(q, sink, { fileName: 'm.gguf' });
    sameBytes('picked.gguf', new Uint8Array(await (await handle.getFile()).arrayBuffer()), mem.get('m.gguf'));
    let refused = false;
    await sink.createFile('second.bin').catch(() => (refused = true));
    if (!refused) throw new Error('a single-file sink accepted a second file');
  },

  async 'download fallback: Blob files, then one download per file'() {
    const q = await quantized();
    const mem = new MemorySink();
    const blobs = new BlobSink();
    await exportGptq(q, mem);
    await exportGptq(q, blobs);
    for (const [name, bytes] of mem.files) sameBytes(name, new Uint8Array(await blobs.files.get(name)!.arrayBuffer()), bytes);
    downloadBlobs(blobs.files, 'stories260K-gptq-');
  },
};

// Node's view of files for the engine: ByteSources over the file system, read by range.
import { open, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ByteSource } from '../formats/byte-source';

/** `name`: what messages and the loader call it (the file's name unless given). */
export async function fileSource(path: string, name = basename(path)): Promise<ByteSource> {
  const { size } = await stat(path);
  return {
    name,
    size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      const fh = await open(path, 'r');
      try {
        const buf = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
          if (!bytesRead) break;
          done += bytesRead;
        }
        return done === length ? buf : buf.subarray(0, done);
      } finally {
        await fh.close();
      }
    },
  };
}

/**
 * A path names a file, or a folder whose files are all offered to the loader, each named
 * folder/file as a browser's folder pick names them: the model is then called by its folder (in
 * the result, and in export file names) instead of "local model".
 */
export async function pathSources(path: string): Promise<ByteSource[]> {
  const s = await stat(path);
  if (!s.isDirectory()) return [await fileSource(path)];
  const folder = basename(resolve(path));
  const names = (await readdir(path)).filter((n) => !n.startsWith('.'));
  return Promise.all(names.map((n) => fileSource(join(path, n), `${folder}/${n}`)));
}

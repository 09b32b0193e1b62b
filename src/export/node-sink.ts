// The CLI's sink: files written into a directory with Node's fs, chunk by chunk.
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { countingWriter, type ExportSink } from './sink';

export function nodeDirectorySink(dir: string): ExportSink {
  return {
    async createFile(name) {
      await mkdir(dir, { recursive: true });
      const fh = await open(join(dir, name), 'w');
      return countingWriter(
        async (c) => {
          let off = 0;
          while (off < c.byteLength) off += (await fh.write(c, off, c.byteLength - off)).bytesWritten;
        },
        () => fh.close(),
      );
    },
  };
}

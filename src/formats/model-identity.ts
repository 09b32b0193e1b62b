// A local model's name in History, Compare, links and file names: the folder (or model file) it
// came from plus a short hash of what defines it (config.json, the tensor headers of its
// safetensors, the head of a GGUF or llama2.c file). Two different local models never share a
// name, and the same files picked again get the same one (so a link's run can check them).
import type { ByteSource } from './byte-source';
import { baseName } from './hf-folder';
import { MAX_HEADER_BYTES } from './safetensors';

/** Bytes of a GGUF or llama2.c file that enter the hash (its header and the first weights). */
const HEAD_BYTES = 1 << 20;

async function definingBytes(f: ByteSource): Promise<Uint8Array | null> {
  const name = baseName(f.name).toLowerCase();
  if (name === 'config.json') return f.read(0, Math.min(f.size, HEAD_BYTES));
  if (name.endsWith('.safetensors')) {
    if (f.size < 8) return f.read(0, f.size);
    const len = Number(new DataView((await f.read(0, 8)).slice().buffer).getBigUint64(0, true));
    return f.read(0, Math.min(f.size, 8 + Math.min(len, MAX_HEADER_BYTES)));
  }
  if (name.endsWith('.gguf') || name.endsWith('.bin')) return f.read(0, Math.min(f.size, HEAD_BYTES));
  return null; // tokenizer files and the rest: the same model with another tokenizer file is still the same weights
}

/** 64 bits of two interleaved 32-bit FNV-1a style hashes (no crypto.subtle: pages served over plain http lack it). */
function hash64(chunks: Uint8Array[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x9e3779b9;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i++) {
      h1 = Math.imul(h1 ^ c[i], 0x01000193);
      h2 = Math.imul(h2 ^ c[i], 0x5bd1e995) ^ (h2 >>> 15);
    }
  }
  return ((h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0')).slice(0, 10);
}

/** The folder the files came from, else the model file's name without its extension. */
function displayName(files: ByteSource[]): string {
  const dirs = files.map((f) => f.name.split(/[\\/]/).slice(-2, -1)[0]).filter(Boolean);
  if (dirs.length) return dirs[0];
  const main =
    files.find((f) => /\.(gguf|safetensors)$/i.test(f.name)) ?? files.find((f) => /\.bin$/i.test(f.name) && !/^tok/i.test(baseName(f.name))) ?? files[0];
  return main ? baseName(main.name).replace(/\.[^.]+$/, '') : 'local model';
}

/** "local:SmolLM2-135M#3fa2c19b0d": the name a model loaded from these files goes by. */
export async function localModelSource(files: ByteSource[]): Promise<string> {
  const sorted = [...files].sort((a, b) => (baseName(a.name) < baseName(b.name) ? -1 : 1));
  const chunks: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const f of sorted) {
    const bytes = await definingBytes(f);
    if (!bytes) continue;
    chunks.push(enc.encode(`${baseName(f.name)}\0${f.size}\0`), bytes);
  }
  const name = displayName(files)
    .replace(/[^\w.\-]+/g, '_')
    .slice(0, 60);
  return `local:${name}#${hash64(chunks)}`;
}

// The bundled texts (public/data/) and how each is split into calibration and evaluation parts.
// WikiText-2 has its own files for the two roles; the others are cut once (src/engine/text-split).
import type { TextSource } from '../core/run-types';
import { splitText, twoFileSplit, type TextSplit } from '../engine/text-split';

export const BUNDLED_TEXTS: Record<Exclude<TextSource, 'custom'>, { title: string; files: string[]; licence: string }> = {
  tinystories: { title: 'TinyStories (validation)', files: ['tinystories_val.txt'], licence: 'CDLA-Sharing-1.0' },
  wikitext2: { title: 'WikiText-2 raw (valid → calibration, test → evaluation)', files: ['wiki.valid.raw', 'wiki.test.raw'], licence: 'CC BY-SA 3.0' },
  tinyshakespeare: { title: 'Tiny Shakespeare', files: ['tinyshakespeare.txt'], licence: 'public domain' },
};

function dataUrl(file: string): string {
  const base = (import.meta as { env?: { BASE_URL?: string } }).env?.BASE_URL ?? '/';
  return new URL(`${base.replace(/\/?$/, '/')}data/${file}`, self.location.href).href;
}

const fileCache = new Map<string, Promise<string>>();

function fetchText(file: string): Promise<string> {
  let p = fileCache.get(file);
  if (!p) {
    p = fetch(dataUrl(file)).then(async (res) => {
      if (!res.ok) throw new Error(`The bundled text ${file} could not be fetched (${res.status}).`);
      return res.text();
    });
    p.catch(() => fileCache.delete(file));
    fileCache.set(file, p);
  }
  return p;
}

export async function bundledSplit(source: Exclude<TextSource, 'custom'>): Promise<TextSplit> {
  const { files } = BUNDLED_TEXTS[source];
  if (files.length === 2) {
    const [calib, evalText] = await Promise.all(files.map(fetchText));
    return twoFileSplit(calib, evalText, files[0], files[1]);
  }
  return splitText(await fetchText(files[0]), files[0]);
}

export function customSplit(text: string, name = 'custom text'): TextSplit {
  return splitText(text, name);
}

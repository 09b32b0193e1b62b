// Bit packing of integer codes: a little-endian bit stream of `bits`-wide fields in u32 words
// (element i occupies bits [i*bits, (i+1)*bits)). For 2/4/8 bits this is the usual "8 codes per
// word" layout; 3-bit codes straddle word boundaries as GPTQ's 3-bit packing does.

export function packedWords(count: number, bits: number): number {
  return Math.ceil((count * bits) / 32);
}

export function packCodes(codes: ArrayLike<number>, bits: number): Uint32Array {
  const out = new Uint32Array(packedWords(codes.length, bits));
  const max = (1 << bits) - 1;
  for (let i = 0; i < codes.length; i++) {
    const v = codes[i];
    if (!(v >= 0 && v <= max && Number.isInteger(v))) throw new Error(`code ${v} at ${i} does not fit in ${bits} bits`);
    const bit = i * bits;
    const w = bit >>> 5;
    const o = bit & 31;
    out[w] = (out[w] | (v << o)) >>> 0;
    if (o + bits > 32) out[w + 1] = (out[w + 1] | (v >>> (32 - o))) >>> 0;
  }
  return out;
}

export function unpackCodes(words: Uint32Array, bits: number, count: number): Uint8Array {
  if (words.length < packedWords(count, bits)) throw new Error(`${words.length} words cannot hold ${count} ${bits}-bit codes`);
  const out = new Uint8Array(count);
  const mask = (1 << bits) - 1;
  for (let i = 0; i < count; i++) {
    const bit = i * bits;
    const w = bit >>> 5;
    const o = bit & 31;
    let v = words[w] >>> o;
    if (o + bits > 32) v |= words[w + 1] << (32 - o);
    out[i] = v & mask;
  }
  return out;
}

// Text a model cannot read makes calibration and perplexity meaningless (binary files gave
// perplexities of 5e9 and 8e10 without a word). Two signs, both cheap: characters that are not
// text (controls, undecodable bytes), and many tokens per character (the tokenizer falls back to
// bytes or rare pieces: a script the model barely saw).

/** Share of characters that are not text: C0/C1 controls other than tab, newline, CR, form feed; U+FFFD; NUL. */
export function nonTextShare(text: string, sampleChars = 1 << 20): number {
  const n = Math.min(text.length, sampleChars);
  if (n === 0) return 0;
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) || (c >= 0x7f && c < 0xa0) || c === 0xfffd) bad++;
  }
  return bad / n;
}

/** Over this share of non-text characters the text is most likely a binary file. */
export const MAX_NON_TEXT_SHARE = 0.02;
/** English prose takes about 0.25 tokens per character; byte fallback takes 1 to 4. */
export const MAX_TOKENS_PER_CHAR = 0.9;

export function textQualityWarnings(what: string, nonText: number, tokens: number, chars: number): string[] {
  const out: string[] = [];
  if (nonText > MAX_NON_TEXT_SHARE) {
    out.push(
      `${Math.round(nonText * 1000) / 10}% of the ${what} is not text (control characters or bytes that are not UTF-8): is it a binary file? Calibration and perplexity on it say nothing about the model.`,
    );
  }
  const perChar = chars > 0 ? tokens / chars : 0;
  if (chars >= 200 && perChar > MAX_TOKENS_PER_CHAR) {
    out.push(
      `The tokenizer needs ${perChar.toFixed(2)} tokens per character of the ${what} (English prose takes about 0.25): most of it falls back to bytes or pieces the model rarely saw, so calibration and perplexity on it say little about the model.`,
    );
  }
  return out;
}

/** Characters of each part the tokens-per-character ratio is measured on (tokenizing a sample is cheap). */
export const QUALITY_SAMPLE_CHARS = 20_000;

/** Both parts of a split, each warned about once; `countTokens` tokenizes a sample of each. */
export function splitQualityWarnings(split: { calib: string; eval: string }, countTokens: (text: string) => number): string[] {
  const check = (what: string, text: string) => {
    const sample = text.slice(0, QUALITY_SAMPLE_CHARS);
    return textQualityWarnings(what, nonTextShare(text), countTokens(sample), sample.length);
  };
  return [...check('calibration text', split.calib), ...check('evaluation text', split.eval)];
}

// Calibration and evaluation text never overlap. Two-file corpora (WikiText-2: valid for
// calibration, test for evaluation) use their own files; a single text is cut at a paragraph
// boundary: just after the first "\n\n" at or after character 160,000 for texts over 400,000 characters,
// else at or after 40% of the text. For the bundled TinyStories file that is character 160,226,
// the split of docs/reference-results.md.
export interface TextSplit {
  calib: string;
  eval: string;
  /** How the split was made, for the UI and the result JSON. */
  description: string;
}

/** How far past the target the cut may go looking for a paragraph break (or a line end). */
export const MAX_CUT_SEARCH = 100_000;

export function splitText(text: string, name = 'text'): TextSplit {
  const target = text.length > 400_000 ? 160_000 : Math.floor(text.length * 0.4);
  // The cut goes after the paragraph break, so the evaluation part starts with a story.
  let cut = text.indexOf('\n\n', target);
  if (cut >= 0 && cut - target <= MAX_CUT_SEARCH) cut += 2;
  else {
    // No paragraph break near the target (a huge text with single newlines, or none): calibration
    // stays near the target's size, cut after a line if one ends close by.
    const line = text.indexOf('\n', target);
    cut = line >= 0 && line - target <= MAX_CUT_SEARCH ? line + 1 : Math.min(target, text.length);
  }
  return {
    calib: text.slice(0, cut),
    eval: text.slice(cut),
    description: `${name}: calibration = characters [0, ${cut}), evaluation = characters [${cut}, ${text.length})`,
  };
}

export function twoFileSplit(calib: string, evalText: string, calibName: string, evalName: string): TextSplit {
  return { calib, eval: evalText, description: `calibration = ${calibName}, evaluation = ${evalName} (separate files)` };
}

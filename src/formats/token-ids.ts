// Every id the tokenizer or the config can hand the model must be a row of the embedding: an id
// past the table reads another buffer's bytes on the GPU (or zeros) and gives a plausible but wrong
// perplexity. Checked once at load, for every format.
import type { ModelConfig, Tokenizer } from '../core/model-config';
import { FormatError } from './errors';

export function checkTokenIds(config: ModelConfig, tokenizer: Tokenizer, tokenizerFile: string, configFile: string): void {
  const rows = config.vocab;
  const fix = 'The tokenizer and the weights do not belong together: use the files of the same repo and revision';
  if (tokenizer.vocabSize > rows) {
    const top = tokenizer.vocabSize - 1;
    const piece = tokenizer.idToToken?.(top);
    throw new FormatError(
      tokenizerFile,
      `can produce token id ${top}${piece !== undefined ? ` (${JSON.stringify(piece)})` : ''} but the embedding has only ${rows} rows (ids 0..${rows - 1})`,
      fix,
    );
  }
  for (const [what, id] of [
    ['bos', tokenizer.bosId],
    ['eos', tokenizer.eosId],
    ['bos', config.bosId],
    ['eos', config.eosId],
  ] as const) {
    if (!(Number.isSafeInteger(id) && id >= 0 && id < rows)) {
      throw new FormatError(configFile, `gives the ${what} token id ${id}, outside the embedding's ${rows} rows (ids 0..${rows - 1})`, fix);
    }
  }
}

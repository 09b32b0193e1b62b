// The fields every run has, whatever its method: the model, the quantizer's grid, the text and its
// calibration and evaluation windows, the seed. The method's own fields live in its folder.
import { WINDOW_DRAWS } from '../core/run-types';
import { booleanField, choiceField, integerField, type ConfigField } from './fields';

const modelField: ConfigField<'model'> = {
  kind: 'text',
  key: 'model',
  default: 'bundled:stories260K',
  parse: (raw) => (/^(bundled|hf|local):\S/.test(raw) && raw.length <= 300 ? raw : undefined),
  format: (v) => v,
  expects: 'bundled:<name>, hf:<repo>@<revision> or local:<files>',
  placeholder: '<path|bundled>',
};

/** Which method runs; its values are the registry's names (src/methods/registry.ts fills them in). */
export const COMMON_FIELDS_BEFORE_METHOD: readonly ConfigField[] = [modelField];

export const COMMON_FIELDS_AFTER_METHOD: readonly ConfigField[] = [
  choiceField('bits', [2, 3, 4, 8] as const, 4),
  integerField('groupSize', 0, 65536, 32),
  booleanField('symmetric', false),
  choiceField('text', ['tinystories', 'wikitext2', 'tinyshakespeare', 'custom'] as const, 'tinystories'),
  integerField('calibSamples', 1, 4096, 16),
  integerField('seqLen', 8, 8192, 256),
  integerField('evalWindows', 0, 100000, 8),
  integerField('seed', 0, 0xffffffff, 0),
  choiceField('calibDraw', WINDOW_DRAWS, 'studio'),
  booleanField('measureErrors', true),
];

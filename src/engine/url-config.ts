// The whole RunConfig in a query string, so a run is a link: only values that differ from
// DEFAULT_CONFIG are written (short links that stay valid when defaults gain fields), and parsing
// validates every field, falling back to the default with a note a person can read.
import { DEFAULT_CONFIG, type RunConfig } from './run-types';

export interface ParsedUrlConfig {
  config: RunConfig;
  /** One line per ignored or replaced parameter, shown in the studio. */
  notes: string[];
  /** `autorun=1`: start the run as soon as the studio is ready. */
  autorun: boolean;
}

interface FieldSpec<T> {
  /** The value, or undefined when raw is not acceptable. */
  parse(raw: string): T | undefined;
  format(value: T): string;
  /** What is acceptable, for the note. */
  expects: string;
}

function oneOf<T extends string | number>(values: readonly T[]): FieldSpec<T> {
  return {
    parse: (raw) => values.find((v) => String(v) === raw),
    format: (v) => String(v),
    expects: `one of ${values.join(', ')}`,
  };
}

function integer(min: number, max: number): FieldSpec<number> {
  return {
    parse: (raw) => {
      if (!/^-?\d+$/.test(raw.trim())) return undefined;
      const v = Number(raw);
      return Number.isSafeInteger(v) && v >= min && v <= max ? v : undefined;
    },
    format: (v) => String(v),
    expects: `a whole number from ${min} to ${max}`,
  };
}

function positiveReal(max: number): FieldSpec<number> {
  return {
    parse: (raw) => {
      if (raw.trim() === '') return undefined;
      const v = Number(raw);
      return Number.isFinite(v) && v > 0 && v <= max ? v : undefined;
    },
    format: (v) => String(v),
    expects: `a number above 0 and at most ${max}`,
  };
}

const boolean: FieldSpec<boolean> = {
  parse: (raw) => (raw === '1' || raw === 'true' ? true : raw === '0' || raw === 'false' ? false : undefined),
  format: (v) => (v ? '1' : '0'),
  expects: '1 or 0',
};

const modelSource: FieldSpec<string> = {
  parse: (raw) => (/^(bundled|hf|local):\S/.test(raw) && raw.length <= 300 ? raw : undefined),
  format: (v) => v,
  expects: 'bundled:<name>, hf:<repo>@<revision> or local:<files>',
};

type FieldSpecs = { [K in keyof RunConfig]: FieldSpec<RunConfig[K]> };

const FIELDS: FieldSpecs = {
  model: modelSource,
  method: oneOf(['fp', 'rtn', 'awq', 'teq', 'tesseraq', 'teq+tesseraq', 'gptq', 'awq+gptq', 'teq+gptq'] as const),
  bits: oneOf([2, 3, 4, 8] as const),
  groupSize: integer(0, 65536),
  symmetric: boolean,
  text: oneOf(['tinystories', 'wikitext2', 'tinyshakespeare', 'custom'] as const),
  calibSamples: integer(1, 4096),
  seqLen: integer(8, 8192),
  evalWindows: integer(0, 100000),
  seed: integer(0, 0xffffffff),
  steps: integer(0, 100000),
  lr: positiveReal(1),
  teqLoss: oneOf(['lm', 'block'] as const),
  teqEstimator: oneOf(['ste-full', 'ste-round'] as const),
  teqInit: oneOf(['ones', 'awq'] as const),
  tqIters: integer(1, 100000),
  tqSchedule: oneOf(['paper20', 'short10'] as const),
  tqBatch: integer(1, 512),
  tqLr: positiveReal(1),
  tqInitInput: oneOf(['quantized', 'fp'] as const),
  gptqDamp: positiveReal(1),
  gptqActOrder: boolean,
  gptqBlockSize: oneOf([16, 32, 64, 128, 256] as const),
};

const FIELD_NAMES = Object.keys(DEFAULT_CONFIG) as (keyof RunConfig)[];
const AUTORUN = 'autorun';

function formatField<K extends keyof RunConfig>(key: K, value: RunConfig[K]): string {
  return FIELDS[key].format(value);
}

/** `method=teq&bits=3`: the non-default fields in RunConfig order, plus `autorun=1` if asked. */
export function configToQuery(config: RunConfig, opts: { autorun?: boolean } = {}): string {
  const params = new URLSearchParams();
  for (const key of FIELD_NAMES) {
    const text = formatField(key, config[key]);
    if (text !== formatField(key, DEFAULT_CONFIG[key])) params.set(key, text);
  }
  if (opts.autorun) params.set(AUTORUN, '1');
  return params.toString();
}

export function parseConfigQuery(query: string | URLSearchParams): ParsedUrlConfig {
  const params = typeof query === 'string' ? new URLSearchParams(query) : query;
  const config: RunConfig = { ...DEFAULT_CONFIG };
  const notes: string[] = [];
  let autorun = false;
  const seen = new Set<string>();
  for (const [key, raw] of params) {
    if (seen.has(key)) {
      notes.push(`"${key}" appears more than once; the first value was used.`);
      continue;
    }
    seen.add(key);
    if (key === AUTORUN) {
      if (raw === '1' || raw === 'true') autorun = true;
      else if (raw !== '0' && raw !== 'false') notes.push(`autorun=${raw} is not 1 or 0; the run was not started.`);
      continue;
    }
    if (!(FIELD_NAMES as string[]).includes(key)) {
      notes.push(`Unknown parameter "${key}" was ignored.`);
      continue;
    }
    const name = key as keyof RunConfig;
    const value = FIELDS[name].parse(raw);
    if (value === undefined) {
      notes.push(
        `${name}=${raw} is not valid (expected ${FIELDS[name].expects}); ` +
          `the default ${formatField(name, DEFAULT_CONFIG[name])} was used.`,
      );
      continue;
    }
    (config as unknown as Record<string, unknown>)[name] = value;
  }
  if (config.text === 'custom') notes.push('This link uses custom text, which links do not carry: paste it in Data.');
  return { config, notes, autorun };
}

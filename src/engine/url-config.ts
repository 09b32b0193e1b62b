// The whole RunConfig in a query string, so a run is a link: only values that differ from
// DEFAULT_CONFIG are written (short links that stay valid when defaults gain fields), and parsing
// validates every field (each declared once, in src/methods/), falling back to the default with a note a person can read.
import type { RunConfig } from '../core/run-types';
import { CONFIG_FIELDS, DEFAULT_CONFIG } from '../methods/registry';

export interface ParsedUrlConfig {
  config: RunConfig;
  /** One line per ignored or replaced parameter, shown in the studio. */
  notes: string[];
  /** `autorun=1`: start the run as soon as the studio is ready. */
  autorun: boolean;
}

const FIELDS = new Map(CONFIG_FIELDS.map((f) => [f.key, f]));
const FIELD_NAMES = CONFIG_FIELDS.map((f) => f.key);
const AUTORUN = 'autorun';

function formatField<K extends keyof RunConfig>(key: K, value: RunConfig[K]): string {
  return (FIELDS.get(key)!.format as (v: RunConfig[K]) => string)(value);
}

/** `method=teq&bits=3`: the non-default fields in RunConfig order, plus `autorun=1` if asked. */
export function configToQuery(config: RunConfig, opts: { autorun?: boolean } = {}): string {
  const params = new URLSearchParams();
  for (const key of FIELD_NAMES) {
    // A config saved before a field existed (an older run's) has no value for it: its default.
    const text = formatField(key, config[key] ?? DEFAULT_CONFIG[key]);
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
    const field = FIELDS.get(name)!;
    const value = field.parse(raw);
    if (value === undefined) {
      notes.push(`${name}=${raw} is not valid (expected ${field.expects}); ` + `the default ${formatField(name, DEFAULT_CONFIG[name])} was used.`);
      continue;
    }
    (config as unknown as Record<string, unknown>)[name] = value;
  }
  if (config.text === 'custom') notes.push('This link uses custom text, which links do not carry: paste it in Data.');
  return { config, notes, autorun };
}

// Every quantization method the studio knows, in the order the Method panel, the CLI usage and the
// bench list them. Adding a method: a folder src/methods/<name>/ with its descriptor and one line
// here (ARCHITECTURE.md, "How to add a method").
import type { Method, RunConfig } from '../core/run-types';
import { COMMON_FIELDS_AFTER_METHOD, COMMON_FIELDS_BEFORE_METHOD } from './common-fields';
import { choiceField, type ConfigField, type FieldKey } from './fields';
import type { MethodDescriptor } from './types';
import { fp } from './fp';
import { rtn } from './rtn';
import { awq } from './awq';
import { teq } from './teq';
import { tesseraq } from './tesseraq';
import { teqTesseraq } from './teq-tesseraq';
import { gptq } from './gptq';
import { awqGptq } from './awq-gptq';
import { teqGptq } from './teq-gptq';

/** Keyed by name, so the compiler flags a Method without a descriptor. */
export const METHODS: Readonly<Record<Method, MethodDescriptor>> = {
  fp,
  rtn,
  awq,
  teq,
  tesseraq,
  'teq+tesseraq': teqTesseraq,
  gptq,
  'awq+gptq': awqGptq,
  'teq+gptq': teqGptq,
};

export const METHOD_NAMES = Object.keys(METHODS) as Method[];

/** The descriptor of a method name, or undefined for a name this build does not know (an old run file). */
export function methodOf(name: string): MethodDescriptor | undefined {
  return Object.prototype.hasOwnProperty.call(METHODS, name) ? METHODS[name as Method] : undefined;
}

/** The methods that quantize (all but the fp baseline). */
export const QUANTIZING_METHODS = METHOD_NAMES.filter((m) => METHODS[m].run);

const methodField = choiceField('method', METHOD_NAMES, 'rtn');

function collectFields(): ConfigField[] {
  const out: ConfigField[] = [...COMMON_FIELDS_BEFORE_METHOD, methodField as ConfigField, ...COMMON_FIELDS_AFTER_METHOD];
  for (const m of METHOD_NAMES) {
    for (const f of METHODS[m].fields) {
      const seen = out.find((g) => g.key === f.key);
      if (seen && seen !== f) throw new Error(`RunConfig field "${f.key}" is declared twice (by ${m} and before it): a field belongs to one method folder.`);
      if (!seen) out.push(f);
    }
  }
  return out;
}

/** Every RunConfig field in URL order: the shared ones, then each method's own. */
export const CONFIG_FIELDS: readonly ConfigField[] = collectFields();

export function configField(key: FieldKey): ConfigField {
  return CONFIG_FIELDS.find((f) => f.key === key)!;
}

/** Every field at its default (the studio's starting configuration). */
export const DEFAULT_CONFIG: RunConfig = Object.fromEntries(CONFIG_FIELDS.map((f) => [f.key, f.default])) as unknown as RunConfig;

// A RunConfig field as the URL, the CLI and the Method panel see it: one name (the URL parameter and
// the CLI flag), its default, what values it accepts, and the label and help the studio shows.
import type { RunConfig } from '../core/run-types';

export type FieldKey = keyof RunConfig;

interface FieldBase<K extends FieldKey> {
  key: K;
  default: RunConfig[K];
  /** The value, or undefined when raw is not acceptable. */
  parse(raw: string): RunConfig[K] | undefined;
  format(value: RunConfig[K]): string;
  /** What is acceptable, for the note and the CLI usage. */
  expects: string;
  /** The CLI usage's placeholder: "2|3|4|8", "N", "X". */
  placeholder: string;
  /** The Method panel's label (absent: the field is set elsewhere, e.g. in Data). */
  label?: string;
  help?: string | ((config: RunConfig) => string);
}

export interface ChoiceField<K extends FieldKey> extends FieldBase<K> {
  kind: 'choice';
  /** The Method panel's options, in the order it lists them. */
  choices?: { value: RunConfig[K]; label: string }[];
}

export interface NumberFieldSpec<K extends FieldKey> extends FieldBase<K> {
  kind: 'integer' | 'real';
  min: number;
  max: number;
  /** The Method panel's least value where the URL's bound is exclusive (a learning rate above 0). */
  uiMin?: number;
}

export interface OtherField<K extends FieldKey> extends FieldBase<K> {
  kind: 'boolean' | 'text';
}

export type ConfigField<K extends FieldKey = FieldKey> = ChoiceField<K> | NumberFieldSpec<K> | OtherField<K>;

type Extra<K extends FieldKey> = Pick<FieldBase<K>, 'label' | 'help'>;

export function choiceField<K extends FieldKey>(
  key: K,
  values: readonly RunConfig[K][],
  dflt: RunConfig[K],
  extra: Extra<K> & { choices?: { value: RunConfig[K]; label: string }[] } = {},
): ChoiceField<K> {
  return {
    kind: 'choice',
    key,
    default: dflt,
    parse: (raw) => values.find((v) => String(v) === raw),
    format: (v) => String(v),
    expects: `one of ${values.join(', ')}`,
    placeholder: values.join('|'),
    ...extra,
  };
}

export function integerField<K extends FieldKey>(key: K, min: number, max: number, dflt: RunConfig[K] & number, extra: Extra<K> = {}): NumberFieldSpec<K> {
  return {
    kind: 'integer',
    key,
    default: dflt,
    min,
    max,
    parse: (raw) => {
      if (!/^-?\d+$/.test(raw.trim())) return undefined;
      const v = Number(raw);
      return (Number.isSafeInteger(v) && v >= min && v <= max ? v : undefined) as RunConfig[K] | undefined;
    },
    format: (v) => String(v),
    expects: `a whole number from ${min} to ${max}`,
    placeholder: 'N',
    ...extra,
  };
}

/** A number above 0 and at most max; the panel's least value is uiMin. */
export function positiveRealField<K extends FieldKey>(
  key: K,
  max: number,
  dflt: RunConfig[K] & number,
  uiMin: number,
  extra: Extra<K> = {},
): NumberFieldSpec<K> {
  return {
    kind: 'real',
    key,
    default: dflt,
    min: 0,
    max,
    uiMin,
    parse: (raw) => {
      if (raw.trim() === '') return undefined;
      const v = Number(raw);
      return (Number.isFinite(v) && v > 0 && v <= max ? v : undefined) as RunConfig[K] | undefined;
    },
    format: (v) => String(v),
    expects: `a number above 0 and at most ${max}`,
    placeholder: 'X',
    ...extra,
  };
}

/** A number from 0 to max, both included (a share). */
export function fractionField<K extends FieldKey>(key: K, max: number, dflt: RunConfig[K] & number, extra: Extra<K> = {}): NumberFieldSpec<K> {
  return {
    kind: 'real',
    key,
    default: dflt,
    min: 0,
    max,
    uiMin: 0,
    parse: (raw) => {
      if (raw.trim() === '') return undefined;
      const v = Number(raw);
      return (Number.isFinite(v) && v >= 0 && v <= max ? v : undefined) as RunConfig[K] | undefined;
    },
    format: (v) => String(v),
    expects: `a number from 0 to ${max}`,
    placeholder: 'F',
    ...extra,
  };
}

export function booleanField<K extends FieldKey>(key: K, dflt: RunConfig[K] & boolean, extra: Extra<K> = {}): OtherField<K> {
  return {
    kind: 'boolean',
    key,
    default: dflt,
    parse: (raw) => (raw === '1' || raw === 'true' ? true : raw === '0' || raw === 'false' ? false : undefined) as RunConfig[K] | undefined,
    format: (v) => (v ? '1' : '0'),
    expects: '1 or 0',
    placeholder: '1|0',
    ...extra,
  };
}

/** "--bits 2|3|4|8": the field as the CLI usage lists it. */
export function cliFlag(field: ConfigField): string {
  return `--${field.key} ${field.placeholder}`;
}

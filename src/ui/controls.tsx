// Labelled form controls used across panels: every control has a visible <label> tied to it, so
// it is reachable and named for keyboard and screen-reader users.
import { useEffect, useId, useState, type ReactNode } from 'react';

export function NumberField(props: {
  label: string;
  value: number;
  onChange: (v: number) => void;
  min: number;
  max: number;
  integer?: boolean;
  step?: number | 'any';
  help?: ReactNode;
  disabled?: boolean;
  testId?: string;
}) {
  const id = useId();
  const { value, onChange, min, max, integer = true } = props;
  // Local text so a person can type through invalid intermediate states ("1e-", "") freely.
  const [text, setText] = useState(String(value));
  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- only when the parent changed the value: the person's own typing is left alone
    if (Number(text) !== value) setText(String(value));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  const parsed = text.trim() === '' ? Number.NaN : Number(text);
  const valid = Number.isFinite(parsed) && parsed >= min && parsed <= max && (!integer || Number.isInteger(parsed));
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        type="number"
        inputMode={integer ? 'numeric' : 'decimal'}
        value={text}
        min={min}
        max={max}
        step={props.step ?? (integer ? 1 : 'any')}
        disabled={props.disabled}
        aria-invalid={!valid}
        aria-describedby={`${id}-help`}
        data-testid={props.testId}
        onChange={(e) => {
          setText(e.target.value);
          const v = Number(e.target.value);
          if (e.target.value.trim() !== '' && Number.isFinite(v) && v >= min && v <= max && (!integer || Number.isInteger(v))) onChange(v);
        }}
        onBlur={() => setText(String(value))}
      />
      <span className="help" id={`${id}-help`}>
        {valid ? props.help : `Enter ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}.`}
      </span>
    </div>
  );
}

export function SelectField<T extends string | number>(props: {
  label: string;
  value: T;
  options: { value: T; label: string }[];
  onChange: (v: T) => void;
  help?: ReactNode;
  disabled?: boolean;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <select
        id={id}
        value={String(props.value)}
        disabled={props.disabled}
        onChange={(e) => {
          const opt = props.options.find((o) => String(o.value) === e.target.value);
          if (opt) props.onChange(opt.value);
        }}
      >
        {props.options.map((o) => (
          <option key={String(o.value)} value={String(o.value)}>
            {o.label}
          </option>
        ))}
      </select>
      {props.help && <span className="help">{props.help}</span>}
    </div>
  );
}

/** A radio group drawn as a segmented control; arrow keys move between options natively. */
export function Segmented<T extends string | number>(props: {
  label: string;
  value: T;
  options: { value: T; label: string; title?: string }[];
  onChange: (v: T) => void;
  help?: ReactNode;
}) {
  const name = useId();
  return (
    <div className="field" role="radiogroup" aria-labelledby={`${name}-label`}>
      <span className="label" id={`${name}-label`}>
        {props.label}
      </span>
      <div className="segmented">
        {props.options.map((o) => (
          <label key={String(o.value)} title={o.title}>
            <input type="radio" name={name} value={String(o.value)} checked={props.value === o.value} onChange={() => props.onChange(o.value)} />
            {o.label}
          </label>
        ))}
      </div>
      {props.help && <span className="help">{props.help}</span>}
    </div>
  );
}

export function Checkbox(props: { label: string; checked: boolean; onChange: (v: boolean) => void; help?: ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <span className="check">
        <input id={id} type="checkbox" checked={props.checked} onChange={(e) => props.onChange(e.target.checked)} />
        <label htmlFor={id}>{props.label}</label>
      </span>
      {props.help && <span className="help">{props.help}</span>}
    </div>
  );
}

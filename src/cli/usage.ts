// The `studio quantize` usage lines, written from the method registry: every method's name and
// every field's flag (the URL parameter of the same name), so a new method or setting is listed
// without touching this file.
import { CONFIG_FIELDS, METHODS, QUANTIZING_METHODS } from '../methods/registry';
import { cliFlag, type ConfigField } from '../methods/fields';

/** Flags the CLI reads itself rather than through the RunConfig parser. */
const CLI_OWN = new Set(['model', 'text', 'method']);

function wrap(flags: string[], indent: string, width = 110): string[] {
  const lines: string[] = [];
  let line = '';
  for (const f of flags) {
    if (line && indent.length + line.length + f.length + 1 > width) {
      lines.push(indent + line);
      line = '';
    }
    line += (line ? ' ' : '') + f;
  }
  if (line) lines.push(indent + line);
  return lines;
}

const optional = (f: ConfigField) => `[${f.key === 'evalWindows' ? `${cliFlag(f)} (0 = all)` : cliFlag(f)}]`;

export function quantizeUsage(): string {
  const indent = '                  ';
  const owned = new Set(QUANTIZING_METHODS.flatMap((m) => METHODS[m].fields.map((f) => f.key)));
  const common = CONFIG_FIELDS.filter((f) => !CLI_OWN.has(f.key) && !owned.has(f.key)).map(optional);
  const lines = [
    `  studio quantize --model <path|bundled> [--method ${QUANTIZING_METHODS.join('|')}]`,
    ...wrap([...common, '[--text tinystories|wikitext2|tinyshakespeare|<file>]', '[--out result.json]'], indent),
  ];
  // each method's settings under the first method that has them (TEQ -> TesseraQ has TEQ's and TesseraQ's)
  const listed = new Set<string>();
  for (const m of QUANTIZING_METHODS) {
    const own = METHODS[m].fields.filter((f) => !listed.has(f.key));
    for (const f of own) listed.add(f.key);
    if (own.length) lines.push(...wrap([`${METHODS[m].label}:`, ...own.map(optional)], indent));
  }
  lines.push(`${indent}[--export onnx,gptq,gptq-v2,gguf,fp --outDir DIR [--verifyOnnx 1]]`);
  return lines.join('\n');
}

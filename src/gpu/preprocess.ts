// A small WGSL preprocessor so kernels stay readable WGSL files:
//   #include "common.wgsl"      inlined once (a file that includes itself, directly or through
//                               others, is an error)
//   #if NAME / #if !NAME / #else / #endif   on truthy parameters
//   {{NAME}}                    replaced by the parameter's value
//   #for I COUNT ... #endfor    the lines repeated for I = 0 .. COUNT-1 with {{I}} replaced, nested
//                               (COUNT a number or a parameter): unrolled code, e.g. one variable
//                               per tensor-core fragment where an indexed array would spill
//   #for T in A B ... #endfor   the same with {{T}} = A, then B: one source for code that differs
//                               only in names, e.g. a kernel's A and B operands
export type ShaderParams = Record<string, number | string | boolean>;

/** Expands #for blocks (innermost substitution first, so {{I}} inside nested blocks resolves). */
function unroll(lines: string[], params: ShaderParams, at: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t === '#endfor') throw new Error(`#endfor without #for in ${at}`);
    if (!t.startsWith('#for ')) {
      out.push(lines[i]);
      continue;
    }
    const m = /^#for\s+(\w+)\s+(?:in((?:\s+\w+)+)|(\w+))$/.exec(t);
    if (!m) throw new Error(`bad #for "${t}" in ${at} (want: #for NAME COUNT or #for NAME in WORD...)`);
    const [, name, list, countText] = m;
    let values: string[];
    if (list !== undefined) {
      values = list.trim().split(/\s+/);
    } else {
      const count = /^\d+$/.test(countText) ? Number(countText) : Number(params[countText]);
      if (!Number.isInteger(count) || count < 0) throw new Error(`#for ${name} ${countText} in ${at}: the count is not a whole number`);
      values = Array.from({ length: count }, (_, v) => String(v));
    }
    let depth = 1;
    let j = i + 1;
    for (; j < lines.length; j++) {
      const u = lines[j].trim();
      if (u.startsWith('#for ')) depth++;
      else if (u === '#endfor' && --depth === 0) break;
    }
    if (depth) throw new Error(`unterminated #for ${name} in ${at}`);
    const body = lines.slice(i + 1, j);
    const key = new RegExp(`\\{\\{${name}\\}\\}`, 'g');
    for (const v of values)
      out.push(
        ...unroll(
          body.map((l) => l.replace(key, v)),
          params,
          at,
        ),
      );
    i = j;
  }
  return out;
}

export function preprocessWgsl(name: string, sources: Record<string, string>, params: ShaderParams = {}): string {
  const included = new Set<string>();
  const expand = (file: string, stack: string[]): string => {
    const src = sources[file];
    if (src === undefined) throw new Error(`shader "${file}" not found (included from ${stack.join(' > ') || 'top'})`);
    const out: string[] = [];
    const active: boolean[] = [];
    const isOn = () => active.every(Boolean);
    const srcLines = src.includes('#for') || src.includes('#endfor') ? unroll(src.split('\n'), params, file) : src.split('\n');
    srcLines.forEach((line, i) => {
      const t = line.trim();
      const at = `${file}:${i + 1}`;
      if (t.startsWith('#if ')) {
        const expr = t.slice(4).trim();
        const neg = expr.startsWith('!');
        const key = neg ? expr.slice(1).trim() : expr;
        const v = Boolean(params[key]);
        active.push(neg ? !v : v);
      } else if (t === '#else') {
        if (!active.length) throw new Error(`#else without #if at ${at}`);
        active[active.length - 1] = !active[active.length - 1];
      } else if (t === '#endif') {
        if (!active.length) throw new Error(`#endif without #if at ${at}`);
        active.pop();
      } else if (t.startsWith('#include')) {
        if (!isOn()) return;
        const m = /#include\s+"([^"]+)"/.exec(t);
        if (!m) throw new Error(`bad #include at ${at}`);
        const chain = [...stack, file];
        if (chain.includes(m[1])) throw new Error(`recursive #include "${m[1]}" at ${at} (${[...chain, m[1]].join(' > ')})`);
        if (included.has(m[1])) return;
        included.add(m[1]);
        out.push(expand(m[1], chain));
      } else if (isOn()) {
        out.push(line);
      }
    });
    if (active.length) throw new Error(`unterminated #if in ${file}`);
    return out.join('\n');
  };
  included.add(name);
  const code = expand(name, []);
  return code.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in params)) throw new Error(`shader "${name}" needs parameter {{${key}}}`);
    const v = params[key];
    return typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
  });
}

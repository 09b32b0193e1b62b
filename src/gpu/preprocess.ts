// A small WGSL preprocessor so kernels stay readable WGSL files:
//   #include "common.wgsl"      inlined once
//   #if NAME / #if !NAME / #else / #endif   on truthy parameters
//   {{NAME}}                    replaced by the parameter's value
export type ShaderParams = Record<string, number | string | boolean>;

export function preprocessWgsl(name: string, sources: Record<string, string>, params: ShaderParams = {}): string {
  const included = new Set<string>();
  const expand = (file: string, stack: string[]): string => {
    const src = sources[file];
    if (src === undefined) throw new Error(`shader "${file}" not found (included from ${stack.join(' > ') || 'top'})`);
    const out: string[] = [];
    const active: boolean[] = [];
    const isOn = () => active.every(Boolean);
    src.split('\n').forEach((line, i) => {
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
        if (included.has(m[1])) return;
        included.add(m[1]);
        out.push(expand(m[1], [...stack, file]));
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

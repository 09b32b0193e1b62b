// A kernel's interface, declared once in TypeScript with names (uniform fields with their WGSL
// types, storage bindings with their access) and checked against the WGSL when a pipeline is
// built: the uniform struct's fields (names, order, types) and the @binding declarations (names,
// read / read_write). Dispatches then pass uniforms and buffers by name, so two swapped fields or
// buffers are a compile error or a clear message instead of wrong numbers.
import { EngineError } from './errors';
import type { Tensor } from './tensor';

/** 4-byte scalars only: the uniform struct is packed 4 bytes a field, in order. */
export type UniformType = 'u32' | 'i32' | 'f32';
/** 'read' is var<storage, read>, 'write' var<storage, read_write>; a trailing '?' marks a binding only some variants (#if) declare. */
export type BindingAccess = 'read' | 'write' | 'read?' | 'write?';

export interface KernelDecl<U extends Record<string, UniformType>, B extends Record<string, BindingAccess>> {
  /** File under shaders/ without ".wgsl", e.g. "quantize". */
  shader: string;
  /** The uniform struct at binding 0, field by field in declaration order ({} when it has none). */
  uniforms: U;
  /** Storage buffers by their WGSL variable names. */
  bindings: B;
}

export interface Kernel<
  U extends Record<string, UniformType> = Record<string, UniformType>,
  B extends Record<string, BindingAccess> = Record<string, BindingAccess>,
> extends KernelDecl<U, B> {
  /** The file name in shaders/ (with ".wgsl"). */
  readonly file: string;
}

export function defineKernel<const U extends Record<string, UniformType>, const B extends Record<string, BindingAccess>>(decl: KernelDecl<U, B>): Kernel<U, B> {
  return { ...decl, file: `${decl.shader}.wgsl` };
}

export type Bindable = Tensor | GPUBuffer;

type OptionalKeys<B> = { [K in keyof B]: B[K] extends `${string}?` ? K : never }[keyof B];
type RequiredKeys<B> = Exclude<keyof B, OptionalKeys<B>>;

/** What a dispatch passes: every uniform field, every required binding, optional bindings where the variant declares them. */
export type KernelArgs<U, B> = ([keyof U] extends [never] ? { uniforms?: undefined } : { uniforms: { readonly [K in keyof U]: number } }) & {
  bindings: { readonly [K in RequiredKeys<B>]: Bindable } & { readonly [K in OptionalKeys<B>]?: Bindable };
};

// ---------------------------------------------------------------- reflection of the WGSL

export type BindingKind = 'uniform' | 'read' | 'read_write';

export interface ReflectedBinding {
  kind: BindingKind;
  /** The WGSL variable name. */
  name: string;
  /** The variable's type (e.g. "Params", "array<f32>"). */
  type: string;
}

/** A uniform struct field. */
export interface ReflectedField {
  name: string;
  type: string;
}

function stripComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
}

const BINDING_RE =
  /@group\(\s*0\s*\)\s*@binding\(\s*(\d+)\s*\)\s*var\s*<\s*(uniform|storage\s*,\s*read_write|storage\s*,\s*read|storage)\s*>\s*(\w+)\s*:\s*([^;]+);/g;

/** The group-0 buffer bindings a preprocessed WGSL kernel declares, by binding index (comments ignored). */
export function reflectBindings(code: string, shader = 'shader'): (ReflectedBinding | undefined)[] {
  const out: (ReflectedBinding | undefined)[] = [];
  for (const m of stripComments(code).matchAll(BINDING_RE)) {
    const i = Number(m[1]);
    const kind: BindingKind = m[2] === 'uniform' ? 'uniform' : /read_write/.test(m[2]) ? 'read_write' : 'read';
    if (out[i] !== undefined) throw new EngineError('gpu-validation', `${shader}: binding ${i} declared twice`);
    if ((i === 0) !== (kind === 'uniform')) throw new EngineError('gpu-validation', `${shader}: binding ${i} is ${kind}; uniforms go at binding 0 only`);
    out[i] = { kind, name: m[3], type: m[4].trim() };
  }
  return out;
}

/** The fields of `struct <name> { ... }` in a preprocessed WGSL kernel. */
export function reflectStruct(code: string, name: string, shader = 'shader'): ReflectedField[] {
  const m = new RegExp(`struct\\s+${name}\\s*\\{([^}]*)\\}`).exec(stripComments(code));
  if (!m) throw new EngineError('gpu-validation', `${shader}: struct ${name} not found`);
  return m[1]
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)
    .map((f) => {
      const fm = /^(\w+)\s*:\s*(.+)$/.exec(f);
      if (!fm) throw new EngineError('gpu-validation', `${shader}: cannot read field "${f}" of struct ${name}`);
      return { name: fm[1], type: fm[2].trim() };
    });
}

/** Every storage variable name the raw (not preprocessed) source binds in any variant. */
function boundNamesInSource(source: string): Set<string> {
  const re = /@binding\([^)]*\)\s*var\s*<\s*storage[^>]*>\s*(\w+)/g;
  return new Set([...stripComments(source).matchAll(re)].map((m) => m[1]));
}

/** The interface of one compiled variant: what a dispatch packs and binds, in order. */
export interface CheckedInterface {
  uniformNames: string[];
  uniformTypes: UniformType[];
  /** Storage binding names in binding order (the bind group's entries after the uniform). */
  storageNames: string[];
}

/**
 * Checks a kernel's declaration against one preprocessed variant of its WGSL (and against the raw
 * source, for bindings no variant declares). Throws naming the kernel and the field or binding.
 */
export function checkKernel(kernel: Kernel, code: string, source: string, bindings: (ReflectedBinding | undefined)[], variant = ''): CheckedInterface {
  const where = `kernel ${kernel.shader}${variant ? ` (${variant})` : ''}`;
  const fail = (msg: string): never => {
    throw new EngineError('gpu-validation', `${where}: ${msg}`);
  };
  const declared = Object.entries(kernel.uniforms);
  const uniform = bindings[0];
  if (!uniform) {
    if (declared.length) fail(`declares uniforms {${declared.map(([n]) => n).join(', ')}} but ${kernel.file} has no uniform at binding 0`);
  } else {
    const fields = reflectStruct(code, uniform.type, kernel.file);
    const n = Math.max(fields.length, declared.length);
    for (let i = 0; i < n; i++) {
      const f = fields[i];
      const d = declared[i];
      if (!f) fail(`uniform "${d[0]}" is declared but ${kernel.file}'s ${uniform.type} has only ${fields.length} fields`);
      if (!d) fail(`${kernel.file}'s ${uniform.type} field ${i} "${f.name}: ${f.type}" is not declared`);
      if (f.name !== d[0]) fail(`uniform ${i} is declared "${d[0]}" but ${kernel.file}'s ${uniform.type} field ${i} is "${f.name}"`);
      if (f.type !== d[1]) fail(`uniform "${d[0]}" is declared ${d[1]} but ${kernel.file} has ${f.type}`);
    }
  }
  const storageNames: string[] = [];
  const seen = new Set<string>();
  bindings.forEach((b, i) => {
    if (!b || b.kind === 'uniform') return;
    const access = (kernel.bindings as Record<string, BindingAccess>)[b.name];
    if (access === undefined) fail(`binding ${i} "${b.name}" of ${kernel.file} is not declared`);
    const want = access.startsWith('write') ? 'read_write' : 'read';
    if (b.kind !== want) fail(`binding "${b.name}" is declared ${access} but ${kernel.file} declares it ${b.kind}`);
    if (seen.has(b.name)) fail(`${kernel.file} binds "${b.name}" twice`);
    seen.add(b.name);
    storageNames.push(b.name);
  });
  const inSource = boundNamesInSource(source);
  for (const [name, access] of Object.entries(kernel.bindings)) {
    if (!inSource.has(name)) fail(`binding "${name}" is declared but ${kernel.file} binds no such variable`);
    if (!access.endsWith('?') && !seen.has(name))
      fail(`binding "${name}" is declared always present but this variant of ${kernel.file} does not bind it (mark it "${access}?")`);
  }
  return { uniformNames: declared.map(([n]) => n), uniformTypes: declared.map(([, t]) => t), storageNames };
}

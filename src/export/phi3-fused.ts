// Phi3ForCausalLM in a Hugging Face folder: transformers reads Phi-3 with q, k and v in one
// self_attn.qkv_proj and gate and up in one mlp.gate_up_proj (the parts' output rows stacked in that
// order, as the loader splits them: formats/fused-linears.ts). The exporters write the parts under the
// LLaMA names and this joins each block's parts into the fused tensor, in the place of the first part:
// float weights [out, in] along their rows, GPTQ's qweight [in·bits/32, out], qzeros
// [groups, out·bits/32] and scales [groups, out] along their columns (the output dimension; every
// part's out a multiple of 32, so the packed zero words split at part boundaries), and one g_idx,
// which the parts share (gptq.ts checks they are equal).
import { linearName, type LinearRole } from '../core/tensor-names';
import { FUSED_LINEARS } from '../formats/fused-linears';
import type { TensorToWrite } from './safetensors-writer';

/** A role's module name inside a block (self_attn.q_proj). */
const blockModule = (role: LinearRole) => linearName('llama', 0, role).replace(/^model\.layers\.0\./, '');
const PART_MODULES: Record<string, string[]> = Object.fromEntries(FUSED_LINEARS.map((f) => [f.module, f.roles.map(blockModule)]));

/** Joins [rows, cols_i] row-major arrays along their columns. */
function joinColumns(all: (Float32Array | Int32Array)[], rows: number): Float32Array | Int32Array {
  const total = all.reduce((a, d) => a + d.length, 0);
  const out = new (all[0].constructor as new (n: number) => Float32Array | Int32Array)(total);
  const width = total / rows;
  let col = 0;
  for (const d of all) {
    const w = d.length / rows;
    for (let r = 0; r < rows; r++) out.set(d.subarray(r * w, (r + 1) * w), r * width + col);
    col += w;
  }
  return out;
}

function fused(parts: TensorToWrite[], name: string, suffix: string): TensorToWrite {
  const first = parts[0];
  const rowsAxis = suffix === 'weight' || suffix === 'bias';
  if (suffix === 'g_idx') return { ...first, name };
  const shape = rowsAxis ? [parts.reduce((a, p) => a + p.shape[0], 0), ...first.shape.slice(1)] : [first.shape[0], parts.reduce((a, p) => a + p.shape[1], 0)];
  return {
    name,
    dtype: first.dtype,
    shape,
    data: async () => {
      const all = await Promise.all(parts.map((p) => p.data()));
      return rowsAxis ? joinColumns(all, 1) : joinColumns(all, first.shape[0]);
    },
  };
}

/** The tensors with each block's q/k/v and gate/up tensors joined into Phi-3's fused Linears. */
export function fusePhi3Tensors(tensors: TensorToWrite[]): TensorToWrite[] {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const partOf = new Map<string, { fused: string; parts: string[]; suffix: string }>();
  for (const t of tensors) {
    const m = /^(model\.layers\.\d+)\.(.+)\.(weight|bias|qweight|qzeros|scales|g_idx)$/.exec(t.name);
    const module = m && Object.keys(PART_MODULES).find((f) => PART_MODULES[f][0] === m[2]);
    if (!m || !module) continue;
    const parts = PART_MODULES[module].map((p) => `${m[1]}.${p}.${m[3]}`);
    for (const p of parts) partOf.set(p, { fused: `${m[1]}.${module}.${m[3]}`, parts, suffix: m[3] });
  }
  const out: TensorToWrite[] = [];
  for (const t of tensors) {
    const g = partOf.get(t.name);
    if (!g) out.push(t);
    else if (g.parts[0] === t.name)
      out.push(
        fused(
          g.parts.map((p) => byName.get(p)!),
          g.fused,
          g.suffix,
        ),
      );
  }
  return out;
}

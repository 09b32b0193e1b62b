// Phi-3 stores q, k and v as one Linear (self_attn.qkv_proj: q's rows, then k's, then v's) and gate
// and up as another (mlp.gate_up_proj: gate's rows, then up's). The engine keeps the transformers
// LLaMA names, so each fused tensor is offered as its parts, each read as its rows of the whole.
import type { ModelConfig } from '../core/model-config';
import { linearName, type LinearRole } from '../core/tensor-names';
import { FormatError } from './errors';
import type { TensorEntry } from './weight-source';

/** Does this configuration's checkpoint fuse q/k/v and gate/up (Phi3ForCausalLM, llama.cpp's "phi3")? */
export function fusesLinears(cfg: ModelConfig): boolean {
  return cfg.sourceArchitecture === 'Phi3ForCausalLM' || cfg.sourceArchitecture === 'gguf:phi3';
}

/** Phi-3's fused Linears in a block and their parts' roles, in stacking order (the loader, the GPTQ
 *  reader and the exporters that fuse them again all read this one table). */
export const FUSED_LINEARS: readonly { module: string; roles: LinearRole[] }[] = [
  { module: 'self_attn.qkv_proj', roles: ['q', 'k', 'v'] },
  { module: 'mlp.gate_up_proj', roles: ['gate', 'up'] },
];

/** [fused name, [part name, rows]...] of one block. */
export function fusedParts(cfg: ModelConfig, layer: number): [string, [string, number][]][] {
  const rows = (r: LinearRole) => (r === 'q' ? cfg.heads * cfg.headDim : r === 'k' || r === 'v' ? cfg.kvHeads * cfg.headDim : cfg.intermediate);
  return FUSED_LINEARS.map(({ module, roles }) => [
    `model.layers.${layer}.${module}.weight`,
    roles.map((r) => [`${linearName('llama', layer, r)}.weight`, rows(r)] as [string, number]),
  ]);
}

/** The tensors with every fused Linear replaced by its parts (rows of the fused one, read from it). */
export function splitFusedLinears(cfg: ModelConfig, tensors: Map<string, TensorEntry>): Map<string, TensorEntry> {
  if (!fusesLinears(cfg)) return tensors;
  const out = new Map(tensors);
  for (let layer = 0; layer < cfg.layers; layer++) {
    for (const [fusedName, parts] of fusedParts(cfg, layer)) {
      const fused = out.get(fusedName);
      if (!fused) continue; // reported as missing parts by the weight source
      const rows = parts.reduce((a, [, r]) => a + r, 0);
      const cols = fused.shape[1];
      if (fused.shape.length !== 2 || fused.shape[0] !== rows)
        throw new FormatError(
          fused.file,
          `has shape [${fused.shape.join(', ')}] but config.json implies [${rows}, ${cols}] (its parts' rows stacked)`,
          'The weights and the config do not belong together: use the config.json from the same repo and revision',
          fusedName,
        );
      out.delete(fusedName);
      // The parts are read one after another (a block's weights): one read of the fused tensor
      // serves them all, and is dropped once each has taken its rows (a later round reads it again).
      let shared: Promise<Float32Array> | null = null;
      let left = 0;
      const readShared = async () => {
        if (!shared) {
          shared = fused.read();
          left = parts.length;
        }
        const all = shared;
        if (--left === 0) shared = null;
        return all;
      };
      let start = 0;
      for (const [name, r] of parts) {
        const from = start * cols;
        out.set(name, { shape: [r, cols], file: fused.file, read: async () => (await readShared()).slice(from, from + r * cols) });
        start += r;
      }
    }
  }
  return out;
}

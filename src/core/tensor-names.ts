// Hugging Face tensor names for each architecture: the one naming every format maps to.
import type { Architecture, ModelConfig } from './model-config';

export type LinearRole = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down' | 'fc1' | 'fc2';

export function linearName(arch: Architecture, layer: number, role: LinearRole): string {
  if (arch === 'opt') {
    const p = `model.decoder.layers.${layer}`;
    const m: Partial<Record<LinearRole, string>> = {
      q: `${p}.self_attn.q_proj`,
      k: `${p}.self_attn.k_proj`,
      v: `${p}.self_attn.v_proj`,
      o: `${p}.self_attn.out_proj`,
      fc1: `${p}.fc1`,
      fc2: `${p}.fc2`,
    };
    const n = m[role];
    if (!n) throw new Error(`OPT has no ${role} projection`);
    return n;
  }
  const p = `model.layers.${layer}`;
  const m: Partial<Record<LinearRole, string>> = {
    q: `${p}.self_attn.q_proj`,
    k: `${p}.self_attn.k_proj`,
    v: `${p}.self_attn.v_proj`,
    o: `${p}.self_attn.o_proj`,
    gate: `${p}.mlp.gate_proj`,
    up: `${p}.mlp.up_proj`,
    down: `${p}.mlp.down_proj`,
  };
  const n = m[role];
  if (!n) throw new Error(`LLaMA has no ${role} projection`);
  return n;
}

/** Whether the Linear `role` adds a bias (ModelConfig's qkvBias, outBias, mlpBias). */
export function linearHasBias(cfg: Pick<ModelConfig, 'qkvBias' | 'outBias' | 'mlpBias'>, role: LinearRole): boolean {
  if (role === 'q' || role === 'k' || role === 'v') return cfg.qkvBias;
  return role === 'o' ? cfg.outBias : cfg.mlpBias;
}

/** The biased Linears by name ("q/k/v", "o_proj", "the MLP"), for messages. */
export function biasedLinears(cfg: Pick<ModelConfig, 'qkvBias' | 'outBias' | 'mlpBias'>): string[] {
  return [cfg.qkvBias && 'q/k/v', cfg.outBias && 'o_proj', cfg.mlpBias && 'the MLP'].filter((s): s is string => Boolean(s));
}

export function linearRoles(arch: Architecture): LinearRole[] {
  return arch === 'opt' ? ['q', 'k', 'v', 'o', 'fc1', 'fc2'] : ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];
}

export function normNames(arch: Architecture, layer: number): { attn: string; mlp: string } {
  return arch === 'opt'
    ? { attn: `model.decoder.layers.${layer}.self_attn_layer_norm`, mlp: `model.decoder.layers.${layer}.final_layer_norm` }
    : { attn: `model.layers.${layer}.input_layernorm`, mlp: `model.layers.${layer}.post_attention_layernorm` };
}

/** Qwen3's per-head norms of q and k (ModelConfig.qkNorm). */
export function headNormNames(layer: number): { q: string; k: string } {
  return { q: `model.layers.${layer}.self_attn.q_norm`, k: `model.layers.${layer}.self_attn.k_norm` };
}

export function globalNames(arch: Architecture): {
  embed: string;
  positions?: string;
  finalNorm: string;
  lmHead: string;
  /** OPT's projections where the embedding is narrower than the blocks (ModelConfig.embedDim). */
  projectIn?: string;
  projectOut?: string;
} {
  return arch === 'opt'
    ? {
        embed: 'model.decoder.embed_tokens.weight',
        positions: 'model.decoder.embed_positions.weight',
        finalNorm: 'model.decoder.final_layer_norm',
        lmHead: 'lm_head.weight',
        projectIn: 'model.decoder.project_in.weight',
        projectOut: 'model.decoder.project_out.weight',
      }
    : { embed: 'model.embed_tokens.weight', finalNorm: 'model.norm', lmHead: 'lm_head.weight' };
}

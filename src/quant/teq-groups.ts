// TEQ's absorbable groups: a trainable scale α multiplies the input columns of each member
// Linear and divides the output channels of the op before them (a norm or a Linear).
//   LLaMA: input_layernorm -> q,k,v; v -> o (only without grouped-query sharing);
//          post_attention_layernorm -> gate,up; up -> down (the SwiGLU product is linear in up,
//          so this is exact; INC's tracer misses it, AWQ uses it).
//   OPT:   self_attn_layer_norm -> q,k,v; v -> out_proj; final_layer_norm -> fc1;
//          fc1 -> fc2 through ReLU (positive scales commute with ReLU; never across GELU/SiLU).
//          Post-norm OPT (opt-350m): v -> out_proj and fc1 -> fc2 only (its norms' outputs are the
//          residual stream too: dividing them would change the model).
import type { ModelConfig } from '../core/model-config';
import type { LinearRole } from '../core/tensor-names';

export interface TeqGroup {
  name: string;
  size: number;
  prev: { norm: 'attn' | 'mlp' } | { linear: LinearRole };
  members: LinearRole[];
}

export function teqGroups(cfg: ModelConfig): TeqGroup[] {
  const groups: TeqGroup[] = [];
  const attnWidth = cfg.heads * cfg.headDim;
  if (cfg.arch === 'llama') {
    groups.push({ name: 'input_layernorm→q,k,v', size: cfg.hidden, prev: { norm: 'attn' }, members: ['q', 'k', 'v'] });
    if (cfg.heads === cfg.kvHeads) groups.push({ name: 'v_proj→o_proj', size: attnWidth, prev: { linear: 'v' }, members: ['o'] });
    groups.push({ name: 'post_attention_layernorm→gate,up', size: cfg.hidden, prev: { norm: 'mlp' }, members: ['gate', 'up'] });
    groups.push({ name: 'up_proj→down_proj', size: cfg.intermediate, prev: { linear: 'up' }, members: ['down'] });
  } else {
    // post-norm OPT: a norm's output is also the residual stream, so no scale folds into it
    if (!cfg.postNorm) groups.push({ name: 'self_attn_layer_norm→q,k,v', size: cfg.hidden, prev: { norm: 'attn' }, members: ['q', 'k', 'v'] });
    if (cfg.heads === cfg.kvHeads) groups.push({ name: 'v_proj→out_proj', size: attnWidth, prev: { linear: 'v' }, members: ['o'] });
    if (!cfg.postNorm) groups.push({ name: 'final_layer_norm→fc1', size: cfg.hidden, prev: { norm: 'mlp' }, members: ['fc1'] });
    if (cfg.activation === 'relu') groups.push({ name: 'fc1→fc2', size: cfg.intermediate, prev: { linear: 'fc1' }, members: ['fc2'] });
  }
  return groups;
}

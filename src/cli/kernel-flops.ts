// FLOPs of one dispatch, read from its timing label (the ops write the shape into it), and the
// matmul path a label names. What is counted, exactly:
//   matmul / linear "[batch x]M x K x N": 2·batch·M·K·N (one multiply and one add per term; the
//     bias, alpha and accumulation are not counted).
//   attention "b B h H s S d D": per head and sequence, the query-key pairs the causal mask keeps
//     (key ≤ query: S(S+1)/2) times 2·D per product over the head dim that pass computes —
//     forward: scores q·k and p·v (2 products, 4·D per pair, i.e. 2·D·S(S+1) per head);
//     dq: dout·v, q·k (recomputed) and ds·k (6·D per pair); dkv: q·k, dout·v, p·dout and ds·q
//     (8·D per pair). exp, scaling, masking and the masked halves of the diagonal tiles are not counted.
import type { MatmulPath } from '../ops/matmul';

const MATMUL_LABEL = /^(?:matmul|linear) (?:(\d+)x)?(\d+)x(\d+)x(\d+)(?: tA| tB)*( f16| subgroup-matrix)?$/;
const ATTENTION_LABEL = /^attention\.(forward|dq|dkv) b(\d+) h(\d+) s(\d+) d(\d+)$/;
/** Products over the head dim per kept query-key pair, per pass. */
const ATTENTION_PRODUCTS = { forward: 2, dq: 3, dkv: 4 } as const;

/** FLOPs of a matmul dispatch from its label ("matmul 4x512x64x172 tB" = 2·4·512·64·172). */
export function matmulFlops(label: string): number | undefined {
  const m = MATMUL_LABEL.exec(label);
  if (!m) return undefined;
  const [batch, a, b, c] = [m[1] ?? '1', m[2], m[3], m[4]].map(Number);
  return 2 * batch * a * b * c;
}

/** FLOPs of a tiled attention dispatch from its label ("attention.forward b4 h9 s512 d64"). */
export function attentionFlops(label: string): number | undefined {
  const m = ATTENTION_LABEL.exec(label);
  if (!m) return undefined;
  const [batch, heads, seqLen, headDim] = m.slice(2).map(Number);
  const pairs = (seqLen * (seqLen + 1)) / 2;
  return batch * heads * pairs * ATTENTION_PRODUCTS[m[1] as keyof typeof ATTENTION_PRODUCTS] * 2 * headDim;
}

/** FLOPs of a dispatch whose label names its shape; undefined for every other kernel. */
export function dispatchFlops(label: string): number | undefined {
  return matmulFlops(label) ?? attentionFlops(label);
}

/** The path of a matmul dispatch from its label (the path word the op appends), else undefined. */
export function matmulLabelPath(label: string): MatmulPath | undefined {
  const m = MATMUL_LABEL.exec(label);
  if (!m) return undefined;
  return m[5] === ' subgroup-matrix' ? 'subgroup-matrix' : m[5] === ' f16' ? 'f16' : 'f32';
}

// float64 twin of the rotary position embedding kernel.

export interface RopeOptions {
  heads: number;
  headDim: number;
  /** Tokens are batch*seqLen; token t sits at position (t % seqLen) + positionOffset. */
  seqLen: number;
  theta: number;
  /** 'interleaved' rotates pairs (2i, 2i+1) (Meta, llama2.c, GGUF); 'half' rotates (i, i + D/2) (HF). */
  style: 'interleaved' | 'half';
  /** Rotate by -angle: the backward pass (and the exact inverse) of the forward rotation. */
  inverse?: boolean;
  positionOffset?: number;
}

/** x is [T, heads*headDim]; pair i of every head turns by position * theta^(-2i/headDim). */
export function ropeRef(x: ArrayLike<number>, o: RopeOptions): Float64Array {
  const D = o.headDim;
  const width = o.heads * D;
  const T = x.length / width;
  const half = D / 2;
  const y = new Float64Array(x.length);
  for (let t = 0; t < T; t++) {
    const pos = (t % o.seqLen) + (o.positionOffset ?? 0);
    for (let i = 0; i < half; i++) {
      const angle = pos * Math.pow(o.theta, (-2 * i) / D);
      const c = Math.cos(angle);
      const s = o.inverse ? -Math.sin(angle) : Math.sin(angle);
      for (let h = 0; h < o.heads; h++) {
        const base = t * width + h * D;
        const a = base + (o.style === 'interleaved' ? 2 * i : i);
        const b = base + (o.style === 'interleaved' ? 2 * i + 1 : i + half);
        y[a] = x[a] * c - x[b] * s;
        y[b] = x[a] * s + x[b] * c;
      }
    }
  }
  return y;
}

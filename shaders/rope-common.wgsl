// Shared by rope.wgsl and rope-qkv.wgsl: which pair a thread turns and by what angle, and the
// matmul attention path's head split. The including kernel declares `table: array<vec2<f32>>`
// (cos/sin per [position, D/2]) and sets HALF (pairs (i, i + D/2), HF) or not ((2i, 2i+1),
// Meta/GGUF) and INVERSE (turn by -angle).

// Pair idx of a token-major [T, heads*D] tensor: its two elements' indices and cos / ±sin.
struct RopePair { a: u32, b: u32, c: f32, s: f32 }

fn ropePair(idx: u32, heads: u32, D: u32, seqLen: u32, offset: u32) -> RopePair {
  let half = D / 2u;
  let i = idx % half;
  let th = idx / half; // token * heads + head
  let t = th / heads;
  let pos = t % seqLen + offset;
  let cs = table[pos * half + i];
#if INVERSE
  let s = -cs.y;
#else
  let s = cs.y;
#endif
  let base = th * D;
#if HALF
  return RopePair(base + i, base + i + half, cs.x, s);
#else
  return RopePair(base + 2u * i, base + 2u * i + 1u, cs.x, s);
#endif
}

// where element i of a token-major [T, heads*D] tensor sits in the group-major split
// [batch*heads/rep, rep*seqLen, D] (as attention-heads.wgsl's split)
fn ropeSplitIndex(i: u32, heads: u32, rep: u32, D: u32, seqLen: u32) -> u32 {
  let d = i % D;
  let th = i / D;
  let h = th % heads;
  let t = th / heads;
  let b = t / seqLen;
  let s = t % seqLen;
  return (((b * (heads / rep) + h / rep) * rep + h % rep) * seqLen + s) * D + d;
}

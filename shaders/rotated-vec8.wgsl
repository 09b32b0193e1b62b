// The rotated 16-byte copy into workgroup memory, for the tensor-core matmul's LOAD_ROT and the
// probe that times it. A lane's 16-byte vector covers 4 consecutive words, so a subgroup storing one
// half each puts its 32 lanes on 8 banks (four passes). Lane v stores its words starting at word
// rotationOf(v), which differs between the lanes whose vectors share banks (8 apart in long rows;
// 4 apart in rows of 4 vectors padded by one, 2 in rows of 2): one pass for every tile layout of 32
// and 64 along K. `per`: vectors in a row of the tile.
fn rotationOf(v: u32, per: u32) -> u32 {
  return select(select(v >> 3u, v >> 2u, per == 4u), v >> 1u, per == 2u) & 3u;
}

// x rotated by q words (word w of the result is word (w + q) & 3 of x), with static swizzles: a
// vector indexed by a runtime value evidently went to local memory: 1.8-2.8x slower (H100).
fn rotated(x: vec4<u32>, q: u32) -> vec4<u32> {
  let x1 = select(x, x.yzwx, (q & 1u) != 0u);
  return select(x1, x1.zwxy, (q & 2u) != 0u);
}

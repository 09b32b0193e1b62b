// Where 4-byte vector v (2 halves) of a tile `cols` halves wide goes in workgroup memory, as
// (row, first column), for the tensor-core matmul's LOAD_U32 copy and the probe that times it:
// row-major, except that with rows of 16 vectors (BK 32) a subgroup's 32 vectors would cover two
// adjacent rows, 20 words apart with the 8-half pad, whose banks overlap; pairing row r with r + 4
// (80 words apart: 16 banks over) gives each of the subgroup's f16 stores 32 different banks.
// Needs the includer's SUBGROUP.
fn slotU32(v: u32, cols: u32) -> vec2<u32> {
  let per = cols / 2u;
  if (per == 16u && SUBGROUP == 32u) {
    let q = v / 32u;
    return vec2<u32>((q / 4u) * 8u + q % 4u + 4u * ((v % 32u) / 16u), (v % 16u) * 2u);
  }
  return vec2<u32>(v / per, (v % per) * 2u);
}

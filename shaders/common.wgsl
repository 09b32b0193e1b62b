// Shared helpers. Kernels launched with Gpu.grid1D() recover a flat index with flatIndex().
fn flatIndex(gid: vec3<u32>, nwg: vec3<u32>, wgSize: u32) -> u32 {
  return gid.x + gid.y * nwg.x * wgSize;
}

// out[c] = sum over chunks k (in order) of partial[k, c]: the second, deterministic stage of the
// norm parameter gradients.
struct Params { chunks: u32, C: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.C) { return; }
  var s = 0.0;
  for (var k = 0u; k < p.chunks; k++) { s += partial[k * p.C + c]; }
  out[c] = s;
}

// Per-chunk partial sums of the norm weight (and #if LAYERNORM bias) gradients:
//   partialW[chunk, c] = sum over tokens t of the chunk of dy[t,c] * xhat[t,c]
//   (xhat = x r for RMSNorm, (x - mean) r for LayerNorm), partialB[chunk, c] = sum dy[t,c].
// One thread per column walks its chunk in token order; norm-reduce-chunks.wgsl then adds the
// chunks in order, so the result is deterministic without atomics.
struct Params { T: u32, C: u32, chunk: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> rstdIn: array<f32>;
@group(0) @binding(4) var<storage, read_write> partialW: array<f32>;
#if LAYERNORM
@group(0) @binding(5) var<storage, read> meanIn: array<f32>;
@group(0) @binding(6) var<storage, read_write> partialB: array<f32>;
#endif

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let c = gid.x;
  let chunk = wid.y;
  if (c >= p.C) { return; }
  let t0 = chunk * p.chunk;
  let t1 = min(p.T, t0 + p.chunk);
  var sw = 0.0;
#if LAYERNORM
  var sb = 0.0;
  for (var t = t0; t < t1; t++) {
    let g = dy[t * p.C + c];
    sw += g * (x[t * p.C + c] - meanIn[t]) * rstdIn[t];
    sb += g;
  }
  partialB[chunk * p.C + c] = sb;
#else
  for (var t = t0; t < t1; t++) { sw += dy[t * p.C + c] * x[t * p.C + c] * rstdIn[t]; }
#endif
  partialW[chunk * p.C + c] = sw;
}

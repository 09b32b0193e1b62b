// TEQ's group kernels read one column a load, or four with VEC4 (columns, group size and offsets
// multiples of 4). V is the storage element; the kernels work on vec4s whose unused lanes are 0,
// walking STEP columns at a time, so both variants do the same arithmetic in the same order.
#if VEC4
alias V = vec4<f32>;
const STEP = 4u;
#else
alias V = f32;
const STEP = 1u;
#endif

fn widen(v: V) -> vec4<f32> {
#if VEC4
  return v;
#else
  return vec4<f32>(v, 0.0, 0.0, 0.0);
#endif
}

fn narrow(v: vec4<f32>) -> V {
#if VEC4
  return v;
#else
  return v.x;
#endif
}

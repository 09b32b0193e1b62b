// store(i, v): y[i] = v for kernels whose f32 output is y and, with HALF_OUT, also its f16 copy
// y16[i] = f16Counted(v, p.slot) (the includer declares y, y16, overflow and p.slot and includes
// f16-overflow.wgsl under HALF_OUT): the copy is exactly what cast-f16.wgsl makes of y.
fn store(i: u32, v: f32) {
  y[i] = v;
#if HALF_OUT
  y16[i] = f16Counted(v, p.slot);
#endif
}

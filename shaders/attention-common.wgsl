// What the tiled attention kernels share: their uniforms and the tile shape ops/attention.ts picks.
// A workgroup owns BR rows (queries, or keys in the dk/dv pass), each served by TPR lanes (NT =
// BR*TPR invocations); tiles hold BC keys (or queries), NCOL = BC/TPR of them per lane; a lane owns
// NOUT outputs (head dims, or vec4s of them) of its row. Query head h reads kv head h / rep.
struct Params { seqLen: u32, Hq: u32, Hkv: u32, rep: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;

const BR = {{BR}}u;
const BC = {{BC}}u;
const TPR = {{TPR}}u;
const NT = {{NT}}u;
const NOUT = {{NOUT}}u;
const NCOL = {{NCOL}}u;

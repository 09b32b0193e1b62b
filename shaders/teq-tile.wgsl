// TILED for TEQ's group kernels: a workgroup's WG consecutive (row, group)s staged in workgroup
// memory, one group a tile row of G columns padded by one (so that the invocations walking their
// groups read different banks). Each kernel declares its other tiles and stageOne / unstageOne
// (what one element loads and stores); the loops below walk the elements in order, one column an
// invocation, so global memory is read and written in whole lines (an invocation walking its own
// group in global memory touched one line a lane at every load).
const G = {{G}}u;
const PAD = G + 1u;
const TILE_SIZE = {{WG}}u * PAD;
var<workgroup> wS: array<f32, TILE_SIZE>;

fn tileAt(l: Loc, c: u32) -> u32 { return l.j * PAD + c - l.c0; }

fn stageTile(first: u32, lid: u32, total: u32) {
  for (var e = lid; e < {{WG}}u * G; e += {{WG}}u) {
    let j = e / G;
    if (first + j >= total) { break; }
    let l = locate(first + j, j);
    let c = l.c0 + e % G;
    if (c < l.c1) { stageOne(l, c, j * PAD + e % G); }
  }
}

fn unstageTile(first: u32, lid: u32, total: u32) {
  for (var e = lid; e < {{WG}}u * G; e += {{WG}}u) {
    let j = e / G;
    if (first + j >= total) { break; }
    let l = locate(first + j, j);
    let c = l.c0 + e % G;
    if (c < l.c1) { unstageOne(l, c, j * PAD + e % G); }
  }
}

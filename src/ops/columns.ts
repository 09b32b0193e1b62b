// A block of columns of one row-major f32 matrix [rows, *] copied into another: the LM head over a
// vocabulary split into ranges writes each range's logits into its columns of the whole, and its
// backward reads them back out (model/vocab-shards.ts).
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';

const WG = 256;
const COPY = defineKernel({
  shader: 'copy-columns',
  uniforms: { n: 'u32', cols: 'u32', srcWidth: 'u32', srcCol: 'u32', dstWidth: 'u32', dstCol: 'u32' },
  bindings: { src: 'read', dst: 'write' },
});

/** dst[r, dstCol + c] = src[r, srcCol + c] for every row and c < cols; returns dst. */
export function copyColumns(gpu: Gpu, src: Tensor, dst: Tensor, o: { srcCol: number; dstCol: number; cols: number }): Tensor {
  const width = (t: Tensor) => t.shape[t.shape.length - 1];
  const rows = src.size / width(src);
  if (src.dtype !== 'f32' || dst.dtype !== 'f32') throw new Error('copyColumns: f32 matrices only');
  if (dst.size / width(dst) !== rows) throw new Error(`copyColumns: ${src.name} has ${rows} rows, ${dst.name} ${dst.size / width(dst)}`);
  if (o.srcCol + o.cols > width(src) || o.dstCol + o.cols > width(dst))
    throw new Error(`copyColumns: columns ${o.srcCol}+${o.cols} of ${width(src)} into ${o.dstCol}+${o.cols} of ${width(dst)}`);
  const n = rows * o.cols;
  gpu.dispatch(COPY, {
    params: { WG },
    uniforms: { n, cols: o.cols, srcWidth: width(src), srcCol: o.srcCol, dstWidth: width(dst), dstCol: o.dstCol },
    bindings: { src, dst },
    workgroups: gpu.grid1D(Math.ceil(n / WG)),
    label: 'copyColumns',
  });
  return dst;
}

import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';

const WG = 256;

/** out = a + b, element-wise, same shape. */
export function add(gpu: Gpu, a: Tensor, b: Tensor, out = gpu.tensor(a.shape, 'f32', 'add')): Tensor {
  if (a.size !== b.size) throw new Error(`add: sizes ${a.size} and ${b.size} differ`);
  gpu.dispatch({
    shader: 'add.wgsl',
    params: { WG },
    uniforms: [a.size],
    buffers: [a, b, out],
    workgroups: gpu.grid1D(Math.ceil(a.size / WG)),
  });
  return out;
}

import { describe, expect, it } from 'vitest';
import { attentionFlops, dispatchFlops, matmulFlops, matmulLabelPath } from './kernel-flops';

describe('kernel FLOPs from timing labels', () => {
  it('reads Linear and other matmul labels on every path as 2·batch·M·K·N', () => {
    expect(matmulFlops('linear 2048x576x1536 tB subgroup-matrix')).toBe(2 * 2048 * 576 * 1536);
    expect(matmulFlops('linear 4x8x16x32 tA f16')).toBe(2 * 4 * 8 * 16 * 32);
    expect(matmulFlops('matmul 512x64x172')).toBe(2 * 512 * 64 * 172);
    expect(matmulFlops('linear 512x64x172 splitk-sum')).toBeUndefined();
    expect(matmulFlops('matmul 512x64x172 f32')).toBeUndefined(); // the f32 path appends no word
  });

  it('names the path a matmul label carries', () => {
    expect(matmulLabelPath('linear 2048x576x1536 tB subgroup-matrix')).toBe('subgroup-matrix');
    expect(matmulLabelPath('matmul 4x8x16x32 tA f16')).toBe('f16');
    expect(matmulLabelPath('linear 8x16x32 tA tB')).toBe('f32');
    expect(matmulLabelPath('attention.forward b1 h1 s2 d4')).toBeUndefined();
  });

  it('counts attention over the causal pairs: 2·D per product, 2 / 3 / 4 products for forward / dq / dkv', () => {
    // s=2: pairs (0,0), (1,0), (1,1); forward q·k and p·v over d=4: 2 x 8 FLOPs a pair
    expect(attentionFlops('attention.forward b1 h1 s2 d4')).toBe(3 * 16);
    // s=4: 10 pairs; dq: 3 products of 2·8 FLOPs; 2 sequences x 3 heads
    expect(attentionFlops('attention.dq b2 h3 s4 d8')).toBe(6 * 10 * 3 * 16);
    // s=3: 6 pairs; dkv: 4 products of 2·2 FLOPs; 2 heads
    expect(attentionFlops('attention.dkv b1 h2 s3 d2')).toBe(2 * 6 * 4 * 4);
    // the forward is 4·T·S·D per head with the causal half, exactly 2·D·S(S+1): SmolLM2-135M's 32x512 calibration
    expect(attentionFlops('attention.forward b32 h9 s512 d64')).toBe(2 * 64 * 512 * 513 * 9 * 32);
    expect(attentionFlops('attention.delta')).toBeUndefined();
  });

  it('gives FLOPs to matmuls and attention only', () => {
    expect(dispatchFlops('attention.dq b1 h1 s1 d1')).toBe(6);
    expect(dispatchFlops('linear 1x1x1')).toBe(2);
    expect(dispatchFlops('rmsnorm')).toBeUndefined();
  });
});

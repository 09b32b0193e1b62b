import { describe, expect, it } from 'vitest';
import { f32FromBytes } from './dtype';

const bytesOf = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);

describe('f32FromBytes', () => {
  it('views a buffer the read allocated for itself, without a copy', () => {
    const bytes = bytesOf([1.5, -2, 3.25]);
    const f = f32FromBytes(bytes);
    expect(Array.from(f)).toEqual([1.5, -2, 3.25]);
    expect(f.buffer).toBe(bytes.buffer);
  });

  it('copies bytes that are part of a larger buffer, aligned or not, so nothing aliases it', () => {
    const whole = bytesOf([7, 1.5, -2, 3.25, 9]);
    const aligned = f32FromBytes(whole.subarray(4, 16));
    const odd = new Uint8Array(13);
    odd.set(whole.subarray(4, 16), 1);
    const unaligned = f32FromBytes(odd.subarray(1, 13));
    whole.fill(0);
    odd.fill(0);
    expect(Array.from(aligned)).toEqual([1.5, -2, 3.25]);
    expect(Array.from(unaligned)).toEqual([1.5, -2, 3.25]);
  });
});

// How a weight matrix is quantized, and what a quantized Linear stores. Every method ends in the
// same QuantizedLinear: integer codes, per-group scales and zero points (any transform already
// folded into the full-precision weights), which evaluation and export read as they are.

export interface QuantSpec {
  bits: number;
  /** Input channels per group; 0 = the whole row (per output channel). */
  groupSize: number;
  symmetric: boolean;
}

export interface QuantizedLinear {
  name: string;
  rows: number;
  cols: number;
  spec: QuantSpec;
  /** One code per weight, row-major [rows, cols], each in [0, 2^bits). */
  codes: Uint8Array;
  /** [rows, nGroups] */
  scales: Float32Array;
  /** [rows, nGroups], integers stored as float. */
  zeros: Float32Array;
  /** GPTQ's act-order (desc_act): the group of each input column, [cols]. Absent: column c is in
   *  group floor(c / group size), which every consumer assumes unless it reads this. */
  gIdx?: Uint32Array;
  bias?: Float32Array;
}

export function effectiveGroupSize(spec: QuantSpec, cols: number): number {
  return spec.groupSize > 0 ? Math.min(spec.groupSize, cols) : cols;
}

export function groupCount(spec: QuantSpec, cols: number): number {
  return Math.ceil(cols / effectiveGroupSize(spec, cols));
}

export function validateSpec(spec: QuantSpec): void {
  if (![2, 3, 4, 8].includes(spec.bits)) throw new Error(`bits must be 2, 3, 4 or 8, not ${spec.bits}`);
  if (!(spec.groupSize === 0 || (Number.isInteger(spec.groupSize) && spec.groupSize > 0))) {
    throw new Error(`group size must be 0 (per channel) or a positive integer, not ${spec.groupSize}`);
  }
}

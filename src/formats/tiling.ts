// Tensor data must tile its region: sorted by offset, each tensor starts where the previous one
// ended (rounded up to the alignment), none overlaps another, and the last one ends where the
// region does (within the alignment). An overlap, a gap or a region that is too long means the
// offsets, the dtypes or the header length lie, and the bytes read would be another tensor's.
import { FormatError } from './errors';

export interface Span {
  name: string;
  /** Offset relative to the start of the data region. */
  start: number;
  byteLength: number;
}

const alignUp = (x: number, a: number) => Math.ceil(x / a) * a;

export function checkTiling(file: string, spans: readonly Span[], regionBytes: number, alignment: number, fix: string): void {
  const sorted = [...spans].sort((a, b) => a.start - b.start || a.byteLength - b.byteLength);
  let end = 0;
  let last: Span | undefined;
  for (const s of sorted) {
    const expected = alignUp(end, alignment);
    if (s.start < end) {
      throw new FormatError(
        file,
        `has data at bytes ${s.start}..${s.start + s.byteLength} of the data region, overlapping "${last!.name}" (bytes ${last!.start}..${end})`,
        fix,
        s.name,
      );
    }
    if (s.start > expected) {
      const after = last ? `"${last.name}" ends at byte ${end}` : 'the data region starts at byte 0';
      throw new FormatError(
        file,
        `starts at byte ${s.start} of the data region but ${after}${alignment > 1 ? ` (aligned: ${expected})` : ''}: ${s.start - expected} bytes belong to no tensor (a dtype or shape that is smaller than the data, or wrong offsets)`,
        fix,
        s.name,
      );
    }
    if (s.byteLength > 0 || !last) last = s;
    end = Math.max(end, s.start + s.byteLength);
  }
  if (end > regionBytes) {
    throw new FormatError(
      file,
      `has tensor data up to byte ${end} of a data region of ${regionBytes} bytes`,
      'The file is truncated: download it again',
      last?.name,
    );
  }
  if (regionBytes - end >= Math.max(1, alignment)) {
    throw new FormatError(
      file,
      `has a ${regionBytes}-byte data region but its tensors cover only ${end} bytes: ${regionBytes - end} bytes belong to no tensor (a header length that is too short, a dtype smaller than the data, or bytes appended to the file)`,
      fix,
    );
  }
}

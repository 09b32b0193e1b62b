// mulberry32 whose state can be saved in a checkpoint and restored, so a resumed run draws the
// same numbers an uninterrupted one does. mulberry32's state after i draws is seed + i·0x6d2b79f5,
// and each draw is the first output of a generator seeded with the state before it.
import { mulberry32 } from '../reference/rng';

const MULBERRY32_INCREMENT = 0x6d2b79f5;

export class SeekableRandom {
  constructor(public state: number) {
    this.state = state >>> 0;
  }

  /** The next number in [0, 1), the same sequence as mulberry32(seed). */
  readonly next = (): number => {
    const r = mulberry32(this.state)();
    this.state = (this.state + MULBERRY32_INCREMENT) >>> 0;
    return r;
  };
}

import { describe, expect, it } from 'vitest';
import { formatSeconds } from './format';

describe('formatSeconds', () => {
  it('never shows 60 seconds or 60 minutes', () => {
    expect(formatSeconds(719.7)).toBe('12 min 0 s'); // was "11 min 60 s"
    expect(formatSeconds(719.4)).toBe('11 min 59 s');
    expect(formatSeconds(119.6)).toBe('2 min 0 s');
    expect(formatSeconds(7199.9)).toBe('2 h 0 min');
    expect(formatSeconds(7229)).toBe('2 h 0 min');
    expect(formatSeconds(7231)).toBe('2 h 1 min');
  });

  it('keeps tenths under ten seconds and whole seconds under two minutes', () => {
    expect(formatSeconds(6.54)).toBe('6.5 s');
    expect(formatSeconds(65.4)).toBe('65 s');
    expect(formatSeconds(-1)).toBe('–');
  });
});

import { describe, expect, it } from 'vitest';
import { finishedAt, formatSeconds, runSeconds } from './format';

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

describe('run times', () => {
  const seconds = { tokenize: 1, load: 2, 'eval-fp': 10, teq: 30, 'tesseraq-init': 20, 'teq+tesseraq': 100, measure: 5, 'eval-quant': 10 };
  it('counts the parts inside a method\'s phase once (TEQ then TesseraQ records "teq" inside its phase)', () => {
    expect(runSeconds({ method: 'teq+tesseraq', seconds })).toBe(1 + 2 + 10 + 100 + 5 + 10);
    expect(runSeconds({ method: 'tesseraq', seconds: { 'eval-fp': 3, tesseraq: 50, 'tesseraq-init': 20 } })).toBe(53);
  });

  it('says when a run ended, not when it started', () => {
    const run = { method: 'teq+tesseraq' as const, seconds, createdAt: '2026-11-23T12:00:00.000Z' };
    expect(finishedAt(run)).toBe('2026-11-23T12:02:08.000Z'); // 128 s after the start
    expect(finishedAt({ ...run, finishedAt: '2026-11-23T12:05:00.000Z' })).toBe('2026-11-23T12:05:00.000Z');
  });
});

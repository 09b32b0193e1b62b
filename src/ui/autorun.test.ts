import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../methods/registry';
import { autorunQuestion } from './autorun';
import { expectedSeconds } from './run-state';

const small = { ...DEFAULT_CONFIG, calibSamples: 2, seqLen: 64, evalWindows: 2 };

describe('autorunQuestion', () => {
  it('starts a short run at once when this device has measured its speed', () => {
    const config = { ...small, method: 'tesseraq' as const };
    const rate = 1e9; // passes a second: far under a minute
    expect(expectedSeconds(config, 5, rate)!).toBeLessThan(60);
    expect(autorunQuestion(config, { layers: 5, rate })).toBeNull();
  });

  it('asks before a run expected to take over a minute, with its expected time', () => {
    const config = { ...DEFAULT_CONFIG, method: 'teq+tesseraq' as const };
    const seconds = expectedSeconds(config, 30, 50)!;
    expect(seconds).toBeGreaterThan(60);
    expect(autorunQuestion(config, { layers: 30, rate: 50 })).toEqual({ model: DEFAULT_CONFIG.model, hub: false, expectedSeconds: seconds });
  });

  it('asks for a long-running method whose time is not known on this device, but not for RTN', () => {
    expect(autorunQuestion({ ...small, method: 'teq' }, { layers: 5 })).toEqual({ model: DEFAULT_CONFIG.model, hub: false, expectedSeconds: null });
    expect(autorunQuestion({ ...small, method: 'rtn' }, { layers: 5 })).toBeNull();
  });

  it('always asks before downloading a Hub model, however short the run', () => {
    const config = { ...small, method: 'rtn' as const, model: 'hf:org/tiny@main' };
    expect(autorunQuestion(config, {})).toEqual({ model: 'hf:org/tiny@main', hub: true, expectedSeconds: null });
  });
});

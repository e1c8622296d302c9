import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TRACKED_CALLERS, RefusalSummary } from './refusal-summary.js';

describe('RefusalSummary', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] }));
  afterEach(() => vi.useRealTimers());

  it('tracks at most MAX_TRACKED_CALLERS callers, counting the others together', () => {
    const written: object[] = [];
    const summary = new RefusalSummary((fields) => written.push(fields), 10_000);
    const ips = Array.from({ length: MAX_TRACKED_CALLERS + 5 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const firsts = ips.flatMap((ip) => [summary.first(401, { ip }), summary.first(401, { ip })]);
    // Each tracked caller's first refusal, and the first of all the others together.
    expect(firsts.filter(Boolean)).toHaveLength(MAX_TRACKED_CALLERS + 1);
    vi.advanceTimersByTime(10_000);
    expect(written).toHaveLength(MAX_TRACKED_CALLERS + 1);
    expect(written[0]).toEqual({ ip: ips[0], status: 401, refused: 1, intervalMs: 10_000 });
    // Five callers past the cap, twice each, the first of them logged whole.
    expect(written.at(-1)).toEqual({ callers: 'others', status: 401, refused: 9, intervalMs: 10_000 });
  });

  it('writes what it counted when closed, and runs no timer once nobody is tracked', () => {
    const written: object[] = [];
    const summary = new RefusalSummary((fields) => written.push(fields), 10_000);
    expect(vi.getTimerCount()).toBe(0);
    summary.first(429, { client: 'desk' });
    summary.first(429, { client: 'desk' });
    expect(vi.getTimerCount()).toBe(1);
    summary.close();
    expect(written).toEqual([{ client: 'desk', status: 429, refused: 1, intervalMs: 10_000 }]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

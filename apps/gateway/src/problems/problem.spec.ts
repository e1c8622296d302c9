import { describe, expect, it } from 'vitest';
import { LoadFailure } from '@app/cache';
import { ProblemException, loadFailureProblem } from './problem.js';

describe('loadFailureProblem', () => {
  it('answers a failed load with the problem type its kind names, its retry-after and its Cache-Status', () => {
    const failure = new LoadFailure({
      kind: 'upstream-unavailable',
      status: 503,
      detail: 'Interact is failing for account 12345678; its circuit is open. Retry in 8 s.',
      retryAfterSeconds: 8,
      forwarded: false,
    });
    failure.cacheStatus = 'interact-flow-gateway; fwd=miss';
    const problem = loadFailureProblem(failure);
    expect(problem).toBeInstanceOf(ProblemException);
    expect(problem).toMatchObject({
      slug: 'upstream-unavailable',
      detail: 'Interact is failing for account 12345678; its circuit is open. Retry in 8 s.',
      headers: { 'retry-after': '8', 'cache-status': 'interact-flow-gateway; fwd=miss' },
    });
  });

  it('gives no problem for a kind that names no problem type: the filter answers it as an internal error', () => {
    const failure = new LoadFailure({ kind: 'from-a-newer-replica', status: 502, detail: 'x', forwarded: true });
    expect(loadFailureProblem(failure)).toBeUndefined();
  });
});

import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { BYTES_PER_COLLECTION, photoChunkPassed } from './streamed-chunks.js';

const CHUNK_BYTES = 64 * 1024;

const minorCollections: PerformanceEntry[] = [];
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries())
    if ((entry as PerformanceEntry & { detail: { kind: number } }).detail.kind === constants.NODE_PERFORMANCE_GC_MINOR)
      minorCollections.push(entry);
});
observer.observe({ entryTypes: ['gc'] });
afterAll(() => observer.disconnect());

/** Minor collections that began between two instants; the observer is told of them a little later. */
async function minorCollectionsBetween(from: number, to: number): Promise<number> {
  await sleep(50);
  return minorCollections.filter((entry) => entry.startTime >= from && entry.startTime <= to).length;
}

describe('the chunks of large photos passed on to their callers', () => {
  it('are collected with a minor collection once BYTES_PER_COLLECTION of them have passed, not before', async () => {
    const chunks = BYTES_PER_COLLECTION / CHUNK_BYTES;
    // Nothing in between allocates: a collection in either window is the one asked for, or none.
    const start = performance.now();
    for (let i = 0; i < chunks - 1; i += 1) photoChunkPassed(CHUNK_BYTES);
    const beforeLast = performance.now();
    photoChunkPassed(CHUNK_BYTES);
    const afterLast = performance.now();
    expect(await minorCollectionsBetween(start, beforeLast)).toBe(0);
    expect(await minorCollectionsBetween(beforeLast, afterLast)).toBeGreaterThanOrEqual(1);
    // And the count starts again.
    const again = performance.now();
    for (let i = 0; i < chunks - 1; i += 1) photoChunkPassed(CHUNK_BYTES);
    expect(await minorCollectionsBetween(again, performance.now())).toBe(0);
    // The gc() it collected with was lent by a context of its own, not put among the gateway's globals.
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Between two minor collections; 16 and 32 MiB measured alike (bench/README.md). */
export const BYTES_PER_COLLECTION = 16 * 1024 * 1024;

type Collect = (options: { type: 'minor' }) => void;

let passed = 0;
let collect: Collect | undefined;

/**
 * Counts the bytes of large photos passed on to their callers, and runs a minor collection after
 * every BYTES_PER_COLLECTION of them. Each chunk read from upstream is garbage once written to the
 * caller, but V8 frees such buffers only once their memory outside the heap has grown by some
 * 64 MB, with a full mark-compact: twenty photos streamed at once held 82 to 141 MB of sent chunks
 * at their peak, and spent their CPU in those collections. A minor collection frees the young
 * chunks at a fraction of the cost (bench/README.md has the figures).
 * Counted for large photos only: no other answer makes garbage at that rate.
 */
export function photoChunkPassed(bytes: number): void {
  passed += bytes;
  if (passed < BYTES_PER_COLLECTION) return;
  passed = 0;
  collect ??= minorCollector();
  collect({ type: 'minor' });
}

/**
 * V8's gc(), without starting every process that runs the gateway with --expose-gc: V8 gives it to
 * the contexts created once the flag is set, so a new context lends it, and the gateway's own
 * globals stay without it.
 */
function minorCollector(): Collect {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    if (typeof gc === 'function') return gc as Collect;
  } catch {
    // A runtime that lends no gc(): the photo goes on all the same, as it did before this.
  }
  process.emitWarning('V8 lent no gc(): the chunks of large photos are left to its own collections');
  return () => undefined;
}

/**
 * How the process ends once it has served. process.exit skips beforeExit, so what must still be
 * written out (the spans buffered for export) is flushed here first, on every path to the exit.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A collector that answers takes what is buffered in milliseconds. One that does not would hold
 * the exit for the exporter's own 10 s timeout, well past what a flush of a few spans needs.
 */
export const EXIT_FLUSH_TIMEOUT_MS = 3_000;

const flushes: Array<() => Promise<unknown>> = [];
let exiting: Promise<never> | undefined;

export function flushBeforeExit(flush: () => Promise<unknown>): void {
  flushes.push(flush);
}

/** Exits with this status once the flushes have settled or their time is up. The first call's status stands. */
export function exitAfterFlush(status: number): Promise<never> {
  exiting ??= Promise.race([
    Promise.allSettled(flushes.map((flush) => Promise.resolve().then(flush))),
    sleep(EXIT_FLUSH_TIMEOUT_MS),
  ]).then(() => process.exit(status));
  return exiting;
}

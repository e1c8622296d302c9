/**
 * How the process ends once it has served. process.exit skips beforeExit, so what must still be
 * written out (the spans buffered for export) is flushed here first, on every path to the exit.
 */
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A collector that answers takes what is buffered in milliseconds. One that does not must not hold
 * the exit for the exporter's own 10 s timeout: whoever sends a second signal wants it over now.
 */
export const EXIT_FLUSH_TIMEOUT_MS = 3_000;

const flushes: Array<() => Promise<unknown>> = [];
let exiting: Promise<never> | undefined;

/** The status a shell reports for a process the signal killed. */
export const signalStatus = (signal: NodeJS.Signals): number => 128 + constants.signals[signal];

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

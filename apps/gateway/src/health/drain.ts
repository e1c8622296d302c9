import { setTimeout as sleep } from 'node:timers/promises';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { AdminServer } from '../admin/admin.server.js';
import { exitAfterFlush, signalStatus } from '../process-exit.js';
import type { OpenWork } from './connections.js';
import { LifecycleService } from './lifecycle.service.js';

export interface DrainTimes {
  /** From the signal to the forced exit. */
  graceMs: number;
  /** From the signal to closing the port, within graceMs. */
  listenMs: number;
}

/** How often a drain that is still waiting says what for. */
const PROGRESS_EVERY_MS = 2_000;

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "1 request in flight (GET /docs/swagger-ui-bundle.js on the API port) and 3 connections open". */
export function describeOpenWork(ports: Record<string, OpenWork>): string {
  const requests = Object.entries(ports).flatMap(([port, work]) =>
    work.requests.map((r) => `${r} on the ${port} port`),
  );
  const connections = Object.values(ports).reduce((sum, work) => sum + work.connections, 0);
  const inFlight =
    requests.length === 0
      ? 'no request in flight'
      : `${count(requests.length, 'request')} in flight (${requests.join(', ')})`;
  return `${inFlight} and ${count(connections, 'connection')} open`;
}

/**
 * On SIGTERM or SIGINT: readiness fails at once and every answer from then on closes its
 * connection, while the port stays open for listenMs: a probe sees the 503, and a keep-alive
 * client gets its answer and reconnects elsewhere instead of finding its connection gone. Then
 * the API's server stops accepting connections and lets in-flight requests finish (connections
 * that are idle, that never sent a request, or whose answer has just been written are closed),
 * transports, Redis and the admin port close, and the process exits once its spans are flushed.
 * It says what it waits for when it closes the port, every few seconds after, and if the grace
 * period ends first. Past the grace period it exits regardless, before Kubernetes kills it. A
 * second signal exits at once: Node as PID 1 ignores a signal it has no handler for, which would
 * leave whoever sent it to wait out the grace period.
 */
export function drainOnSignals(app: INestApplication, { graceMs, listenMs }: DrainTimes, logger: LoggerService): void {
  let draining = false;
  const lifecycle = app.get(LifecycleService);
  const admin = app.get(AdminServer);
  const openWork = () =>
    describeOpenWork({ API: lifecycle.connections.openWork(), admin: admin.connections.openWork() });
  const drain = async (signal: NodeJS.Signals) => {
    lifecycle.beginShutdown();
    logger.log(`${signal} received; draining for up to ${graceMs} ms`, 'Shutdown');
    // Not unref'd: were the drain to stall with nothing else keeping the process alive, it would
    // end without its flush and with status 0.
    const deadline = setTimeout(() => {
      logger.error(`grace period of ${graceMs} ms over with ${openWork()}; exiting`, undefined, 'Shutdown');
      void exitAfterFlush(1);
    }, graceMs);
    let progress: NodeJS.Timeout | undefined;
    let status = 0;
    try {
      if (listenMs > 0) {
        logger.log(`still answering, with readiness failing, for ${listenMs} ms before closing the port`, 'Shutdown');
        await sleep(listenMs);
      }
      logger.log(`closing the port with ${openWork()}`, 'Shutdown');
      // With no request and no connection left, what is still closing is the transports and the cache store.
      progress = setInterval(() => logger.log(`still draining: ${openWork()}`, 'Shutdown'), PROGRESS_EVERY_MS);
      await app.close();
      logger.log('drained; exiting', 'Shutdown');
    } catch (error) {
      logger.error(`shutdown failed: ${(error as Error).message}`, undefined, 'Shutdown');
      status = 1;
    }
    clearInterval(progress);
    clearTimeout(deadline);
    await exitAfterFlush(status);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (!draining) {
      draining = true;
      void drain(signal);
      return;
    }
    logger.warn(`${signal} received while draining; exiting without waiting for requests in flight`, 'Shutdown');
    void exitAfterFlush(signalStatus(signal));
  };
  process.on('SIGTERM', onSignal).on('SIGINT', onSignal);
}

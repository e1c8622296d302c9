import { setTimeout as sleep } from 'node:timers/promises';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { exitAfterFlush, signalStatus } from '../process-exit.js';
import { LifecycleService } from './lifecycle.service.js';

export interface DrainTimes {
  /** From the signal to the forced exit. */
  graceMs: number;
  /** From the signal to closing the port, within graceMs. */
  listenMs: number;
}

/**
 * On SIGTERM or SIGINT: readiness fails at once and every answer from then on closes its
 * connection, while the port stays open for listenMs: a probe sees the 503, and a keep-alive
 * client gets its answer and reconnects elsewhere instead of finding its connection gone. Then
 * the server stops accepting connections and lets in-flight requests finish (idle keep-alive
 * connections are closed), transports and Redis close, and the process exits once its spans are
 * flushed. Past the grace period it exits regardless, before Kubernetes kills it. A second signal
 * exits at once: Node as PID 1 ignores a signal it has no handler for, which would leave whoever
 * sent it to wait out the grace period.
 */
export function drainOnSignals(app: INestApplication, { graceMs, listenMs }: DrainTimes, logger: LoggerService): void {
  let draining = false;
  const drain = async (signal: NodeJS.Signals) => {
    app.get(LifecycleService).beginShutdown();
    logger.log(`${signal} received; draining for up to ${graceMs} ms`, 'Shutdown');
    // Not unref'd: were the drain to stall with nothing else keeping the process alive, it would
    // end without its flush and with status 0.
    const deadline = setTimeout(() => {
      logger.error(`grace period of ${graceMs} ms over with requests in flight; exiting`, undefined, 'Shutdown');
      void exitAfterFlush(1);
    }, graceMs);
    let status = 0;
    try {
      if (listenMs > 0) {
        logger.log(`still answering, with readiness failing, for ${listenMs} ms before closing the port`, 'Shutdown');
        await sleep(listenMs);
      }
      await app.close();
      logger.log('drained; exiting', 'Shutdown');
    } catch (error) {
      logger.error(`shutdown failed: ${(error as Error).message}`, undefined, 'Shutdown');
      status = 1;
    }
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

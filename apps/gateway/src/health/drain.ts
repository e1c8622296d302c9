import type { INestApplication, LoggerService } from '@nestjs/common';
import { exitAfterFlush } from '../process-exit.js';
import { LifecycleService } from './lifecycle.service.js';

/**
 * On SIGTERM or SIGINT: readiness fails at once, the server stops accepting connections and lets
 * in-flight requests finish (idle keep-alive connections are closed), then transports and Redis
 * close, and the process exits once its spans are flushed. Past the grace period it exits
 * regardless, before Kubernetes kills it.
 */
export function drainOnSignals(app: INestApplication, graceMs: number, logger: LoggerService): void {
  let draining = false;
  const drain = async (signal: string) => {
    if (draining) return;
    draining = true;
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
      await app.close();
      logger.log('drained; exiting', 'Shutdown');
    } catch (error) {
      logger.error(`shutdown failed: ${(error as Error).message}`, undefined, 'Shutdown');
      status = 1;
    }
    clearTimeout(deadline);
    await exitAfterFlush(status);
  };
  process.once('SIGTERM', () => void drain('SIGTERM'));
  process.once('SIGINT', () => void drain('SIGINT'));
}

import type { INestApplication, LoggerService } from '@nestjs/common';
import { LifecycleService } from './lifecycle.service.js';

/**
 * On SIGTERM or SIGINT: readiness fails at once, the server stops accepting connections and lets
 * in-flight requests finish (idle keep-alive connections are closed), then transports and Redis
 * close. Past the grace period the process exits regardless, before Kubernetes kills it.
 */
export function drainOnSignals(app: INestApplication, graceMs: number, logger: LoggerService): void {
  let draining = false;
  const drain = async (signal: string) => {
    if (draining) return;
    draining = true;
    app.get(LifecycleService).beginShutdown();
    logger.log(`${signal} received; draining for up to ${graceMs} ms`, 'Shutdown');
    const deadline = setTimeout(() => {
      logger.error(`grace period of ${graceMs} ms over with requests in flight; exiting`, undefined, 'Shutdown');
      process.exit(1);
    }, graceMs);
    deadline.unref();
    try {
      await app.close();
      logger.log('drained; exiting', 'Shutdown');
      process.exitCode = 0;
    } catch (error) {
      logger.error(`shutdown failed: ${(error as Error).message}`, undefined, 'Shutdown');
      process.exitCode = 1;
    } finally {
      clearTimeout(deadline);
    }
  };
  process.once('SIGTERM', () => void drain('SIGTERM'));
  process.once('SIGINT', () => void drain('SIGINT'));
}

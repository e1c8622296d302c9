import { ConfigError, loadGatewayConfig } from './config/gateway.config.js';
import { signalStatus } from './process-exit.js';

/**
 * Node as PID 1 ignores a signal it has no handler for, so a stop during start-up would wait out
 * the whole termination grace period. Nothing is served yet: nothing to drain.
 */
function exitOnSignal(signal: NodeJS.Signals): never {
  console.error(`${signal} received during start-up; exiting`);
  process.exit(signalStatus(signal));
}

async function main(): Promise<void> {
  process.on('SIGTERM', exitOnSignal).on('SIGINT', exitOnSignal);
  const config = loadGatewayConfig();
  // Imported only now, not above: loading Nest, Fastify and the transports is most of start-up,
  // and a signal must be handled while it happens.
  const [{ createGatewayApp, listenGateway }, { drainOnSignals }, { Logger }] = await Promise.all([
    import('./gateway.app.js'),
    import('./health/drain.js'),
    import('nestjs-pino'),
  ]);
  const app = await createGatewayApp(config);
  const { url, adminUrl } = await listenGateway(app, config);
  const logger = app.get(Logger);
  // Drain's handlers before these go: a signal that came during listen may still wait in the event
  // loop, and Node drops it when the last handler of its kind is removed.
  drainOnSignals(app, { graceMs: config.shutdownGraceMs, listenMs: config.drainListenMs }, logger);
  process.off('SIGTERM', exitOnSignal).off('SIGINT', exitOnSignal);
  const docs = config.docsEnabled ? ' (Swagger UI at /docs)' : '';
  logger.log(`listening on ${url}${docs}; probes and metrics on ${adminUrl}`, 'Gateway');
}

/**
 * The port taken, or not ours to bind: Nest has logged that already, as one JSON line like every
 * other ("Error: listen EADDRINUSE: address already in use 0.0.0.0:3000"). Its stack trace would
 * only bury it under lines that are not JSON.
 */
const isListenFailure = (error: unknown): boolean => (error as NodeJS.ErrnoException | null)?.syscall === 'listen';

main().catch((error: unknown) => {
  if (!isListenFailure(error))
    console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : error);
  process.exit(1);
});

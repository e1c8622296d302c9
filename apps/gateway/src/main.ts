import { Logger } from 'nestjs-pino';
import { ConfigError, loadGatewayConfig } from './config/gateway.config.js';
import { createGatewayApp } from './gateway.app.js';
import { drainOnSignals } from './health/drain.js';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const app = await createGatewayApp(config);
  await app.listen(config.port, config.host);
  const logger = app.get(Logger);
  drainOnSignals(app, config.shutdownGraceMs, logger);
  logger.log(`listening on ${await app.getUrl()} (Swagger UI at /docs)`, 'Gateway');
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : error);
  process.exit(1);
});

import { ConfigError, loadGatewayConfig } from './config/gateway.config.js';
import { createGatewayApp } from './gateway.app.js';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const app = await createGatewayApp(config);
  await app.listen(config.port, config.host);
  console.log(`Interact Flow Gateway listening on ${await app.getUrl()} (Swagger UI at /docs)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : error);
  process.exit(1);
});

import { createSimulatorApp } from './simulator.app.js';
import { SimulatorConfigError, loadSimulatorConfig } from './simulator.config.js';

async function main(): Promise<void> {
  const config = loadSimulatorConfig();
  const app = await createSimulatorApp(config);
  await app.listen(config.port, config.host);
  console.log(`Interact simulator listening on ${await app.getUrl()}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof SimulatorConfigError ? `Configuration error: ${error.message}` : error);
  process.exit(1);
});

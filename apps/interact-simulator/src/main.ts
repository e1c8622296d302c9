import { createSimulatorApp } from './simulator.app.js';
import { SimulatorConfigError, loadSimulatorConfig } from './simulator.config.js';

async function main(): Promise<void> {
  const config = loadSimulatorConfig();
  const app = await createSimulatorApp(config);
  await app.listen(config.port, config.host);
  console.log(`Interact simulator listening on ${await app.getUrl()}`);
}

/** The port taken, or not ours to bind: Nest's error line has said so already, without the stack. */
const isListenFailure = (error: unknown): boolean => (error as NodeJS.ErrnoException | null)?.syscall === 'listen';

main().catch((error: unknown) => {
  if (!isListenFailure(error))
    console.error(error instanceof SimulatorConfigError ? `Configuration error: ${error.message}` : error);
  process.exit(1);
});

import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { GatewayAccount, GatewayConfig } from '../../apps/gateway/src/config/gateway.config.js';
import type { GatewayAppOptions } from '../../apps/gateway/src/gateway.app.js';
import type { SimulatorConfig } from '../../apps/interact-simulator/src/simulator.config.js';
import { demoAccounts, startGateway, type RunningGateway } from './gateway.js';
import { startSimulator, type RunningSimulator } from './simulator.js';

export interface Testbed {
  readonly simulator: RunningSimulator;
  /** A gateway on the demo accounts against the simulator, closed after the test. */
  gateway(
    config?: Partial<GatewayConfig>,
    accounts?: Partial<GatewayAccount>,
    options?: GatewayAppOptions,
  ): Promise<RunningGateway>;
}

/**
 * One simulator for the test file, reset before each test; every gateway a test starts is closed after it.
 * A file whose upstream must know other accounts or keys than the demo's passes them in `simulatorConfig`.
 */
export function useTestbed(simulatorConfig: Partial<SimulatorConfig> = {}): Testbed {
  let simulator: RunningSimulator | undefined;
  const gateways: RunningGateway[] = [];
  beforeAll(async () => {
    simulator = await startSimulator(simulatorConfig);
  });
  afterAll(() => simulator?.close());
  beforeEach(() => simulator?.reset());
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
  });
  return {
    get simulator() {
      if (!simulator) throw new Error('the simulator starts in beforeAll');
      return simulator;
    },
    async gateway(config = {}, accounts = {}, options = {}) {
      const started = await startGateway({ accounts: demoAccounts(this.simulator, accounts), ...config }, options);
      gateways.push(started);
      return started;
    },
  };
}

import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createSimulatorApp } from '../../apps/interact-simulator/src/simulator.app.js';
import {
  DEMO_ACCOUNTS,
  loadSimulatorConfig,
  type SimulatorAccount,
  type SimulatorConfig,
} from '../../apps/interact-simulator/src/simulator.config.js';
import type { FaultsUpdate, SimulatorStats } from '../../apps/interact-simulator/src/faults/fault-injection.service.js';

export { DEMO_ACCOUNTS };
export { BIG_ATTRIBUTES, DEMO_IDS } from '../../apps/interact-simulator/src/histories/demo-histories.js';

export interface RunningSimulator {
  app: NestFastifyApplication;
  url: string;
  wsdlUrl: string;
  stats(): Promise<SimulatorStats>;
  reset(): Promise<void>;
  setFaults(faults: FaultsUpdate): Promise<void>;
  /** Serves `pages` as the history of `uniqueId`, on both transports. */
  seedHistory(uniqueId: string, pages: object[]): Promise<void>;
  close(): Promise<void>;
}

/** A real simulator on an ephemeral loopback port. */
export async function startSimulator(overrides: Partial<SimulatorConfig> = {}): Promise<RunningSimulator> {
  const app = await createSimulatorApp({ ...loadSimulatorConfig({}), ...overrides });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}/__simulator/${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) throw new Error(`simulator ${method} ${path}: ${response.status}`);
    return response;
  };
  return {
    app,
    url,
    wsdlUrl: `${url}/interact/version/2/interactiondata/soap/interactiondata.wsdl`,
    stats: async () => (await (await call('GET', 'stats')).json()) as SimulatorStats,
    reset: async () => void (await call('POST', 'reset')),
    setFaults: async (faults) => void (await call('PUT', 'faults', faults)),
    seedHistory: async (uniqueId, pages) =>
      void (await call('PUT', `histories/${encodeURIComponent(uniqueId)}`, pages)),
    close: () => app.close(),
  };
}

/** An account with a single environment, for the tests that configure a simulator with it; both demo accounts name one. */
export const SINGLE_ENVIRONMENT_ACCOUNT: SimulatorAccount = {
  accountId: '23456789',
  tenantId: 'single-environment-tenant',
  applicationKey: 'single-environment-app-key',
};

export function credentialHeaders(account: SimulatorAccount): Record<string, string> {
  return {
    'Tenant-Id': account.tenantId,
    'Application-Key': account.applicationKey,
    ...(account.environmentName !== undefined && { 'Environment-Name': account.environmentName }),
  };
}

import { EnvNumber, SettingsError, Text, describeProblem, readEnvironment } from '@app/config';

export interface SimulatorAccount {
  accountId: string;
  tenantId: string;
  applicationKey: string;
  /** Unset for an account with a single environment, which upstream asks no Environment-Name of. */
  environmentName?: string;
}

export interface TransportFaults {
  /** Added before every answer, in milliseconds. */
  latencyMs: number;
  /** Share of requests, 0 to 1, answered with upstream's internal error. */
  errorRate: number;
}

export type SimulatorTransport = 'rest' | 'soap';

export interface SimulatorConfig {
  port: number;
  host: string;
  accounts: SimulatorAccount[];
  faults: Record<SimulatorTransport, TransportFaults>;
}

/**
 * The demo accounts. Both hold the same histories; their credentials differ so that a gateway
 * sending one account's key for the other is caught.
 */
export const DEMO_ACCOUNTS: readonly SimulatorAccount[] = [
  {
    accountId: '12345678',
    tenantId: 'demo-tenant-12345678',
    applicationKey: 'demo-app-key-12345678',
    environmentName: 'PROD',
  },
  {
    accountId: '12345679',
    tenantId: 'demo-tenant-12345679',
    applicationKey: 'demo-app-key-12345679',
    environmentName: 'PROD',
  },
];

export class SimulatorConfigError extends SettingsError {}

const LATENCY = { whole: true, min: 0, max: 600_000, expectation: 'whole milliseconds from 0 to 600000' };
const ERROR_RATE = { min: 0, max: 1 };

/** The simulator's variables, each property named as its variable; the initial values are the defaults. */
export class SimulatorEnvironment {
  @EnvNumber({ whole: true, min: 0, max: 65_535, expectation: 'a port number' }) SIMULATOR_PORT = 3001;
  @Text() SIMULATOR_HOST = '0.0.0.0';
  @EnvNumber(LATENCY) SIMULATOR_REST_LATENCY_MS = 0;
  @EnvNumber(LATENCY) SIMULATOR_SOAP_LATENCY_MS = 0;
  @EnvNumber(ERROR_RATE) SIMULATOR_REST_ERROR_RATE = 0;
  @EnvNumber(ERROR_RATE) SIMULATOR_SOAP_ERROR_RATE = 0;
}

export function loadSimulatorConfig(env: NodeJS.ProcessEnv = process.env): SimulatorConfig {
  const { settings, problems } = readEnvironment(SimulatorEnvironment, env);
  if (problems.length > 0) throw new SimulatorConfigError(problems.map(describeProblem));
  return {
    port: settings.SIMULATOR_PORT,
    host: settings.SIMULATOR_HOST,
    accounts: [...DEMO_ACCOUNTS],
    faults: {
      rest: { latencyMs: settings.SIMULATOR_REST_LATENCY_MS, errorRate: settings.SIMULATOR_REST_ERROR_RATE },
      soap: { latencyMs: settings.SIMULATOR_SOAP_LATENCY_MS, errorRate: settings.SIMULATOR_SOAP_ERROR_RATE },
    },
  };
}

export const SIMULATOR_CONFIG = Symbol('SIMULATOR_CONFIG');

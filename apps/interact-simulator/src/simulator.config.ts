export interface SimulatorAccount {
  accountId: string;
  tenantId: string;
  applicationKey: string;
  environmentName: string;
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

export class SimulatorConfigError extends Error {}

function readNumber(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  check: (value: number) => boolean,
  expectation: string,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !check(value)) {
    throw new SimulatorConfigError(`${name} must be ${expectation}, got "${raw}"`);
  }
  return value;
}

const latency = (value: number) => Number.isInteger(value) && value >= 0 && value <= 600_000;
const rate = (value: number) => value >= 0 && value <= 1;

export function loadSimulatorConfig(env: NodeJS.ProcessEnv = process.env): SimulatorConfig {
  return {
    port: readNumber(env, 'SIMULATOR_PORT', 3001, (v) => Number.isInteger(v) && v >= 0 && v < 65536, 'a port number'),
    host: env.SIMULATOR_HOST || '0.0.0.0',
    accounts: [...DEMO_ACCOUNTS],
    faults: {
      rest: {
        latencyMs: readNumber(env, 'SIMULATOR_REST_LATENCY_MS', 0, latency, 'whole milliseconds from 0 to 600000'),
        errorRate: readNumber(env, 'SIMULATOR_REST_ERROR_RATE', 0, rate, 'a number from 0 to 1'),
      },
      soap: {
        latencyMs: readNumber(env, 'SIMULATOR_SOAP_LATENCY_MS', 0, latency, 'whole milliseconds from 0 to 600000'),
        errorRate: readNumber(env, 'SIMULATOR_SOAP_ERROR_RATE', 0, rate, 'a number from 0 to 1'),
      },
    },
  };
}

export const SIMULATOR_CONFIG = Symbol('SIMULATOR_CONFIG');

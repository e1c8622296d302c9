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

export class SimulatorConfigError extends Error {}

/**
 * Plain decimal text only: Number() alone would also take "0x10", "1e3", " 5 " and "+5". Neither
 * form takes a sign, so the checks of loadSimulatorConfig need no lower bound.
 */
const WHOLE = /^\d+$/;
const DECIMAL = /^\d+(\.\d+)?$/;

function readNumber(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  form: RegExp,
  check: (value: number) => boolean,
  expectation: string,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = form.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(value) || !check(value)) {
    throw new SimulatorConfigError(`${name} must be ${expectation}, got "${raw}"`);
  }
  return value;
}

export function loadSimulatorConfig(env: NodeJS.ProcessEnv = process.env): SimulatorConfig {
  const latencyMs = (name: string) =>
    readNumber(env, name, 0, WHOLE, (value) => value <= 600_000, 'whole milliseconds from 0 to 600000');
  const errorRate = (name: string) => readNumber(env, name, 0, DECIMAL, (value) => value <= 1, 'a number from 0 to 1');
  return {
    port: readNumber(env, 'SIMULATOR_PORT', 3001, WHOLE, (value) => value < 65536, 'a port number'),
    host: env.SIMULATOR_HOST || '0.0.0.0',
    accounts: [...DEMO_ACCOUNTS],
    faults: {
      rest: { latencyMs: latencyMs('SIMULATOR_REST_LATENCY_MS'), errorRate: errorRate('SIMULATOR_REST_ERROR_RATE') },
      soap: { latencyMs: latencyMs('SIMULATOR_SOAP_LATENCY_MS'), errorRate: errorRate('SIMULATOR_SOAP_ERROR_RATE') },
    },
  };
}

export const SIMULATOR_CONFIG = Symbol('SIMULATOR_CONFIG');

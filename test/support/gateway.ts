import { createHash } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import type {
  ApiClient,
  CacheConfig,
  GatewayAccount,
  GatewayConfig,
  ResilienceConfig,
} from '../../apps/gateway/src/config/gateway.config.js';
import { createGatewayApp, type GatewayAppOptions } from '../../apps/gateway/src/gateway.app.js';
import { DEMO_ACCOUNTS, type RunningSimulator } from './simulator.js';

export const REST_ACCOUNT = DEMO_ACCOUNTS[0].accountId;
export const SOAP_ACCOUNT = DEMO_ACCOUNTS[1].accountId;

/** The demo's two accounts against a running simulator: the first over REST, the second over SOAP. */
export function demoAccounts(simulator: RunningSimulator, overrides: Partial<GatewayAccount> = {}): GatewayAccount[] {
  return DEMO_ACCOUNTS.map((account, index) => ({
    accountId: account.accountId,
    baseUrl: simulator.url,
    transport: index === 0 ? 'rest' : 'soap',
    apiVersion: 2,
    tenantId: account.tenantId,
    applicationKey: account.applicationKey,
    environmentName: account.environmentName,
    timeoutMs: 5_000,
    maxResponseBytes: 20 * 1024 * 1024,
    cacheTtlMs: 300_000,
    resilience: defaultResilience(),
    ...(index === 1 && { wsdl: simulator.wsdlUrl }),
    ...overrides,
  }));
}

/** The key every test request sends unless it says otherwise: its client may read both demo accounts. */
export const TEST_API_KEY = 'test-key';

export function apiClient(id: string, key: string, accounts: string[], rateLimitPerMinute = 100_000): ApiClient {
  return { id, keySha256: createHash('sha256').update(key).digest(), accounts, rateLimitPerMinute };
}

/** The configuration defaults, with retries fast enough for tests. */
export function defaultResilience(overrides: Partial<ResilienceConfig> = {}): ResilienceConfig {
  return {
    retryMaxAttempts: 3,
    retryInitialDelayMs: 20,
    retryMaxDelayMs: 100,
    retryDeadlineMs: 10_000,
    breakerFailureRatio: 0.5,
    breakerWindowMs: 10_000,
    breakerMinimumRps: 1,
    breakerHalfOpenAfterMs: 10_000,
    bulkheadMaxConcurrent: 32,
    bulkheadMaxQueue: 64,
    ...overrides,
  };
}

/** The in-memory store, as the demo runs it. */
export function memoryCache(overrides: Partial<CacheConfig> = {}): CacheConfig {
  return {
    store: { kind: 'memory', maxBytes: 64 * 1024 * 1024 },
    keyPrefix: 'test',
    staleWhileRevalidateMs: 60_000,
    staleIfErrorMs: 3_600_000,
    negativeTtlMs: 30_000,
    compressAboveBytes: 16 * 1024,
    // Off, so that the tests of Redis see Redis: those of the tier in front of it turn it on.
    local: { ttlMs: 0, maxBytes: 64 * 1024 * 1024 },
    ...overrides,
  };
}

export interface RunningGateway {
  app: NestFastifyApplication;
  url: string;
  http(): ReturnType<typeof request.agent>;
  close(): Promise<void>;
}

export async function startGateway(
  config: Partial<GatewayConfig> & Pick<GatewayConfig, 'accounts'>,
  options: GatewayAppOptions = {},
): Promise<RunningGateway> {
  const app = await createGatewayApp(
    {
      port: 0,
      host: '127.0.0.1',
      cache: memoryCache(),
      logLevel: 'silent',
      shutdownGraceMs: 5_000,
      drainListenMs: 0,
      renderThreads: 1,
      clients: [apiClient('test', TEST_API_KEY, [REST_ACCOUNT, SOAP_ACCOUNT])],
      docsEnabled: true,
      corsOrigins: [],
      ...config,
    },
    options,
  );
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  // Every request carries the test client's key; a test about authentication overrides the header.
  return {
    app,
    url,
    http: () => request.agent(url).set('Authorization', `Bearer ${TEST_API_KEY}`),
    close: () => app.close(),
  };
}

/** Keeps every line the gateway logs, so tests can read what operators would see. */
export class CapturingLogger {
  readonly lines: string[] = [];
  private keep =
    (level: string) =>
    (message: unknown, ...rest: unknown[]) => {
      this.lines.push(`${level} ${JSON.stringify([message, ...rest])}`);
    };
  log = this.keep('log');
  error = this.keep('error');
  warn = this.keep('warn');
  debug = this.keep('debug');
  verbose = this.keep('verbose');
  fatal = this.keep('fatal');
}

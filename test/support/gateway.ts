import { createHash } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import {
  cacheConfig,
  gatewayAccount,
  resilienceConfig,
  type ApiClient,
  type CacheConfig,
  type GatewayAccount,
  type GatewayConfig,
  type ResilienceConfig,
} from '../../apps/gateway/src/config/gateway.config.js';
import {
  AccountSettings,
  DocsSettings,
  GatewayEnvironment,
  ResilienceSettings,
} from '../../apps/gateway/src/config/gateway.schema.js';
import { buildOpenApiDocument } from '../../apps/gateway/src/docs/openapi.js';
import { createGatewayApp, listenGateway, type GatewayAppOptions } from '../../apps/gateway/src/gateway.app.js';
import { contractOf, keptFetch, type Contract } from './contract.js';
import { DEMO_ACCOUNTS, type RunningSimulator } from './simulator.js';

export const REST_ACCOUNT = DEMO_ACCOUNTS[0].accountId;
export const SOAP_ACCOUNT = DEMO_ACCOUNTS[1].accountId;

/** The environment a deployment that sets nothing gets: the defaults the tests start from. */
const ENVIRONMENT_DEFAULTS = new GatewayEnvironment();

/** Below the default, so that a test waiting on a hung upstream ends sooner. */
const TEST_TIMEOUT_MS = 5_000;

/** The demo's two accounts against a running simulator: the first over REST, the second over SOAP. */
export function demoAccounts(simulator: RunningSimulator, overrides: Partial<GatewayAccount> = {}): GatewayAccount[] {
  return DEMO_ACCOUNTS.map((account, index) => {
    // Every setting left out takes its default, as it would in a configuration file.
    const settings = Object.assign(new AccountSettings(), {
      id: account.accountId,
      baseUrl: simulator.url,
      transport: index === 0 ? 'rest' : 'soap',
      tenantId: account.tenantId,
      environmentName: account.environmentName,
      timeoutMs: TEST_TIMEOUT_MS,
      ...(index === 1 && { wsdl: simulator.wsdlUrl }),
    });
    return { ...gatewayAccount(settings, account.applicationKey), resilience: defaultResilience(), ...overrides };
  });
}

/** The key every test request sends unless it says otherwise: its client may read both demo accounts. */
export const TEST_API_KEY = 'test-key';

export function apiClient(id: string, key: string, accounts: string[], rateLimitPerMinute = 100_000): ApiClient {
  return { id, keySha256: createHash('sha256').update(key).digest(), accounts, rateLimitPerMinute };
}

/** The configuration defaults for the test accounts' timeout, with retries fast enough for tests. */
export function defaultResilience(overrides: Partial<ResilienceConfig> = {}): ResilienceConfig {
  return {
    ...resilienceConfig(new ResilienceSettings(), TEST_TIMEOUT_MS),
    retryInitialDelayMs: 20,
    retryMaxDelayMs: 100,
    ...overrides,
  };
}

/** The in-memory store with the configuration defaults, as the demo runs it. */
export function memoryCache(overrides: Partial<CacheConfig> = {}): CacheConfig {
  const defaults = cacheConfig(ENVIRONMENT_DEFAULTS);
  return {
    ...defaults,
    keyPrefix: 'test',
    // Off, so that the tests of Redis see Redis: those of the tier in front of it turn it on.
    local: { ...defaults.local, ttlMs: 0 },
    ...overrides,
  };
}

export interface RunningGateway {
  app: NestFastifyApplication;
  /** The API. */
  url: string;
  /** Probes and metrics. */
  adminUrl: string;
  /** The OpenAPI document this gateway serves, as a contract on its responses. */
  contract: Contract;
  /** The API, with the test client's key; every response it receives is checked against the contract. */
  http(): ReturnType<typeof request.agent>;
  /** The API without a key, every response checked against the contract. */
  anonymous(): ReturnType<typeof request.agent>;
  /** fetch on the API (a path), every response checked against the contract. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The admin port, without a key: probes and scrapers have none. */
  admin(): ReturnType<typeof request.agent>;
  close(): Promise<void>;
}

export async function startGateway(
  config: Partial<GatewayConfig> & Pick<GatewayConfig, 'accounts'>,
  options: GatewayAppOptions = {},
): Promise<RunningGateway> {
  const full: GatewayConfig = {
    port: 0,
    adminPort: 0,
    host: '127.0.0.1',
    cache: memoryCache(),
    logLevel: 'silent',
    shutdownGraceMs: 5_000,
    drainListenMs: 0,
    renderThreads: 1,
    clients: [apiClient('test', TEST_API_KEY, [REST_ACCOUNT, SOAP_ACCOUNT])],
    docsEnabled: ENVIRONMENT_DEFAULTS.DOCS_ENABLED,
    docs: new DocsSettings(),
    corsOrigins: ENVIRONMENT_DEFAULTS.CORS_ORIGINS,
    ...config,
  };
  const app = await createGatewayApp(full, options);
  const urls = await listenGateway(app, { port: 0, adminPort: 0, host: '127.0.0.1' });
  const [url, adminUrl] = [urls.url, urls.adminUrl].map((listening) => listening.replace('[::1]', '127.0.0.1'));
  // The document this gateway serves at /docs/openapi.json, built as it builds it: fetching it
  // would add a request to the logs and metrics that the tests read.
  const contract = contractOf(buildOpenApiDocument(app, full));
  // Every request carries the test client's key; a test about authentication overrides the header.
  return {
    app,
    url,
    adminUrl,
    contract,
    http: () => keptTo(contract, request.agent(url).set('Authorization', `Bearer ${TEST_API_KEY}`)),
    anonymous: () => keptTo(contract, request.agent(url)),
    fetch: (path, init) => keptFetch(contract, `${url}${path}`, init),
    admin: () => request.agent(adminUrl),
    close: () => app.close(),
  };
}

type Agent = ReturnType<typeof request.agent>;
type Test = ReturnType<Agent['get']>;

/** The agent, with every request it makes failing when its response breaks the contract. */
export function keptTo(contract: Contract, agent: Agent): Agent {
  for (const method of ['get', 'head', 'post', 'put', 'patch', 'delete', 'del', 'options'] as const) {
    const send = agent[method].bind(agent) as (url: string) => Test;
    agent[method] = ((url: string) => {
      const test = send(url) as Test & { method: string; url: string };
      // First of the test's assertions, so that a response off the contract fails as such.
      return test.expect((response) =>
        contract.assert({
          method: test.method,
          url: test.url,
          status: response.status,
          headers: response.headers as Record<string, string>,
          body: Buffer.isBuffer(response.body) ? response.body : response.text,
        }),
      );
    }) as Agent[typeof method];
  }
  return agent;
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

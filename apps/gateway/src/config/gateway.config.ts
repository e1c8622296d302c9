import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { RedisConnection } from '@app/cache';
import {
  SettingsError,
  describeProblem,
  isObject,
  passed,
  readEnvironment,
  readSettings,
  variable,
  type Problem,
} from '@app/config';
import type { PhotoDots, UpstreamAccount } from '@app/interact-client';
import {
  GatewayEnvironment,
  GatewayFile,
  type AccountSettings,
  type ClientSettings,
  type DocsSettings,
  type LogLevel,
  type ResilienceSettings,
} from './gateway.schema.js';

export { LOG_LEVELS, type LogLevel } from './gateway.schema.js';

export interface ResilienceConfig {
  /** Attempts in all, the first included; retried only on network errors and 502/503/504. */
  retryMaxAttempts: number;
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
  /** Overall deadline of a call and its retries. */
  retryDeadlineMs: number;
  /** Share of failed calls (0 to 1) within the window that opens the circuit. */
  breakerFailureRatio: number;
  breakerWindowMs: number;
  /** Calls per second below which the circuit never opens, so that a quiet account is not cut off by one failure. */
  breakerMinimumRps: number;
  breakerHalfOpenAfterMs: number;
  bulkheadMaxConcurrent: number;
  bulkheadMaxQueue: number;
  photoBulkheadMaxConcurrent: number;
  photoBulkheadMaxQueue: number;
}

export interface GatewayAccount extends UpstreamAccount {
  /** How long a fetched history is served without asking upstream again. */
  cacheTtlMs: number;
  resilience: ResilienceConfig;
  /** A photo larger than this is cut off once it is passed. */
  maxPhotoBytes: number;
  photoDots: PhotoDots;
}

export type CacheStoreConfig =
  { kind: 'memory'; maxBytes: number } | { kind: 'redis'; connection: RedisConnection; commandTimeoutMs: number };

export interface CacheConfig {
  store: CacheStoreConfig;
  /** Prefixes every key, so that deployments (or test runs) sharing a Redis never meet. */
  keyPrefix: string;
  staleWhileRevalidateMs: number;
  staleIfErrorMs: number;
  negativeTtlMs: number;
  compressAboveBytes: number;
  /** Photos up to this size are cached; larger ones stream through. */
  photoMaxBytes: number;
  photoTtlMs: number;
  /**
   * The tier in memory in front of Redis: how long it keeps an entry (0: no such tier) and the
   * bytes it may hold. Unused with the memory store, which is that tier already.
   */
  local: { ttlMs: number; maxBytes: number };
}

/** An internal service allowed to call the API, known by the SHA-256 of its key. */
export interface ApiClient {
  id: string;
  keySha256: Buffer;
  accounts: string[];
  /** Requests per minute, per replica window shared through Redis when it is configured. */
  rateLimitPerMinute: number;
}

export interface GatewayConfig {
  /** The API, Swagger UI and problem pages. */
  port: number;
  /** Probes and metrics only, on the same host. */
  adminPort: number;
  host: string;
  /** Absolute base of problem type URIs and the OpenAPI server; relative when unset. */
  publicBaseUrl?: string;
  accounts: GatewayAccount[];
  cache: CacheConfig;
  logLevel: LogLevel;
  /** How long in-flight requests may finish after SIGTERM before the process exits regardless. */
  shutdownGraceMs: number;
  /**
   * How long the port stays open after SIGTERM, within shutdownGraceMs: readiness fails and every
   * answer closes its connection, so probes see the 503 and keep-alive clients move elsewhere.
   */
  drainListenMs: number;
  clients: ApiClient[];
  docsEnabled: boolean;
  /** What Swagger UI tells a visitor, and whether it keeps the key. */
  docs: DocsSettings;
  /** Origins allowed by CORS; none (CORS off) unless configured. */
  corsOrigins: string[];
  /** Worker threads that read large upstream answers. */
  renderThreads: number;
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

/** Every bad setting, each named; start-up prints them and stops. */
export class ConfigError extends SettingsError {}

const FILE = 'GATEWAY_CONFIG_FILE';
const inFile = (text: string) => `${FILE}: ${text}`;

/**
 * The configuration from the environment and the file it names. Every problem is reported at
 * once: first each setting's own (the rules of gateway.schema.ts), then how valid settings fit
 * together and whether the keys they point to can be read.
 */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const { settings: environment, problems: own, given } = readEnvironment(GatewayEnvironment, env);
  const problems = [...own.map(describeProblem), ...environmentConflicts(environment, own, given)];
  const file = passed(own, FILE) ? readGatewayFile(environment.GATEWAY_CONFIG_FILE, env) : { problems: [] };
  problems.push(...file.problems);
  if (problems.length > 0 || !file.config) throw new ConfigError(problems);
  const publicBaseUrl = environment.PUBLIC_BASE_URL?.replace(/\/+$/, '');
  return {
    port: environment.PORT,
    adminPort: environment.ADMIN_PORT,
    host: environment.HOST,
    ...(publicBaseUrl && { publicBaseUrl }),
    ...file.config,
    cache: cacheConfig(environment),
    logLevel: environment.LOG_LEVEL,
    shutdownGraceMs: environment.SHUTDOWN_GRACE_SECONDS * 1000,
    drainListenMs: environment.DRAIN_LISTEN_SECONDS * 1000,
    docsEnabled: environment.DOCS_ENABLED,
    corsOrigins: environment.CORS_ORIGINS,
    renderThreads: environment.RENDER_THREADS,
  };
}

function readGatewayFile(
  path: string,
  env: NodeJS.ProcessEnv,
): { problems: string[]; config?: Pick<GatewayConfig, 'accounts' | 'clients' | 'docs'> } {
  let document: unknown;
  try {
    // YAML is a superset of JSON: one parser reads both.
    document = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    return { problems: [`${FILE} cannot be read as YAML or JSON (${path}): ${(error as Error).message}`] };
  }
  if (!isObject(document)) return { problems: [`${FILE} must hold an object of settings (${path})`] };
  const { settings: file, problems: own } = readSettings(GatewayFile, document);
  const keys = passed(own, 'accounts')
    ? file.accounts.map((account, index) => applicationKey(account, `accounts[${index}]`, own, env))
    : [];
  const problems = [
    ...own.map((problem) => inFile(describeProblem(problem))),
    ...fileConflicts(file, own),
    ...keys.flatMap(({ problem }) => (problem === undefined ? [] : [problem])),
  ];
  if (problems.length > 0) return { problems };
  return {
    problems: [],
    config: {
      accounts: file.accounts.map((account, index) => gatewayAccount(account, keys[index].key!)),
      clients: file.clients.map(apiClient),
      docs: file.docs,
    },
  };
}

/** Values listed more than once, each named once. */
function repeated(values: (string | undefined)[]): string[] {
  const named = values.filter((value) => value !== undefined);
  return [...new Set(named.filter((value, index) => named.indexOf(value) !== index))];
}

function fileConflicts(file: GatewayFile, own: Problem[]): string[] {
  if (!passed(own, 'accounts')) return [];
  const ids = file.accounts.map(({ id }, index) => (passed(own, `accounts[${index}].id`) ? id : undefined));
  const found = [
    ...file.accounts.flatMap((account, index) => resilienceConflicts(account, `accounts[${index}]`, own)),
    ...repeated(ids).map((id) => `account ${id} is configured twice`),
  ];
  if (passed(own, 'clients')) {
    file.clients.forEach((client, index) => {
      if (!passed(own, `clients[${index}].accounts`)) return;
      for (const id of client.accounts.filter((name) => !ids.includes(name)))
        found.push(`clients[${index}].accounts names account ${id}, which is not configured`);
    });
    const clientIds = file.clients.map(({ id }, index) => (passed(own, `clients[${index}].id`) ? id : undefined));
    found.push(...repeated(clientIds).map((id) => `client ${id} is configured twice`));
    if (passed(own, 'docs.demo.apiKey') && file.docs.demo && !isClientKey(file, own, file.docs.demo.apiKey))
      found.push('docs.demo.apiKey is the key of no configured client: Swagger UI would offer a key the API refuses');
  }
  return found.map(inFile);
}

function isClientKey(file: GatewayFile, own: Problem[], key: string): boolean {
  const hash = createHash('sha256').update(key).digest('hex');
  return file.clients.some(
    ({ keySha256 }, index) => passed(own, `clients[${index}].keySha256`) && keySha256.toLowerCase() === hash,
  );
}

function resilienceConflicts(account: AccountSettings, at: string, own: Problem[]): string[] {
  const path = `${at}.resilience`;
  const valid = (...paths: string[]) => paths.every((setting) => passed(own, setting));
  if (!valid(path)) return [];
  const { retryInitialDelayMs: first, retryMaxDelayMs: longest, retryDeadlineMs: deadline } = account.resilience;
  const found: string[] = [];
  if (valid(`${path}.retryInitialDelayMs`, `${path}.retryMaxDelayMs`) && first > longest)
    found.push(`${path}.retryInitialDelayMs (${first}) must be at most ${path}.retryMaxDelayMs (${longest})`);
  if (valid(`${path}.retryDeadlineMs`, `${at}.timeoutMs`) && deadline !== undefined && deadline < account.timeoutMs)
    found.push(`${path}.retryDeadlineMs must be at least the account's timeoutMs (${account.timeoutMs})`);
  return found;
}

/** Application keys never sit in the configuration file: they come from the environment or a mounted file. */
function applicationKey(
  account: AccountSettings,
  at: string,
  own: Problem[],
  env: NodeJS.ProcessEnv,
): { key?: string; problem?: string } {
  if (!['id', 'applicationKeyEnv', 'applicationKeyFile'].every((name) => passed(own, `${at}.${name}`))) return {};
  const file = account.applicationKeyFile;
  if (file !== undefined) {
    let key: string;
    try {
      key = readFileSync(file, 'utf8').trim();
    } catch {
      return { problem: inFile(`${at}.applicationKeyFile cannot be read: ${file}`) };
    }
    return key === '' ? { problem: inFile(`${at}.applicationKeyFile is empty: ${file}`) } : { key };
  }
  const name = account.applicationKeyEnv ?? `INTERACT_APPLICATION_KEY_${account.id}`;
  const key = variable(env, name)?.trim();
  return key ? { key } : { problem: `${name} is not set (application key of account ${account.id}, ${inFile(at)})` };
}

/** The account as the transports and the cache see it, from its settings (defaults included) and its key. */
export function gatewayAccount(settings: AccountSettings, applicationKey: string): GatewayAccount {
  const { id, cacheTtlSeconds, resilience, ...upstream } = settings;
  // Where the key came from is the loader's business; the transports get the key.
  delete upstream.applicationKeyEnv;
  delete upstream.applicationKeyFile;
  return {
    ...upstream,
    accountId: id,
    applicationKey,
    cacheTtlMs: cacheTtlSeconds * 1000,
    resilience: resilienceConfig(resilience, settings.timeoutMs),
  };
}

export function resilienceConfig(settings: ResilienceSettings, timeoutMs: number): ResilienceConfig {
  return { ...settings, retryDeadlineMs: settings.retryDeadlineMs ?? 2 * timeoutMs };
}

function apiClient({ id, keySha256, accounts, rateLimitPerMinute }: ClientSettings): ApiClient {
  return { id, keySha256: Buffer.from(keySha256, 'hex'), accounts, rateLimitPerMinute };
}

const REDIS_MODES = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'];

function environmentConflicts(environment: GatewayEnvironment, own: Problem[], given: ReadonlySet<string>): string[] {
  const found: string[] = [];
  const { DRAIN_LISTEN_SECONDS: drain, SHUTDOWN_GRACE_SECONDS: grace } = environment;
  // The port closes inside the grace period, so that requests accepted until then still have time.
  if (passed(own, 'DRAIN_LISTEN_SECONDS') && passed(own, 'SHUTDOWN_GRACE_SECONDS') && drain >= grace) {
    const from = given.has('DRAIN_LISTEN_SECONDS') ? 'given' : 'its default';
    found.push(`DRAIN_LISTEN_SECONDS must be less than SHUTDOWN_GRACE_SECONDS (${grace}), got ${drain} (${from})`);
  }
  if (passed(own, 'PORT') && passed(own, 'ADMIN_PORT') && environment.PORT === environment.ADMIN_PORT)
    found.push(`ADMIN_PORT must differ from PORT (${environment.PORT}): probes and metrics have a port of their own`);
  const modes = REDIS_MODES.filter((name) => given.has(name));
  if (modes.length > 1)
    found.push(`${REDIS_MODES.join(', ')} exclude one another: set one, got ${modes.join(' and ')}`);
  // Without their mode these would be ignored without a word, and the gateway use another cache than the one meant.
  if (given.has('REDIS_SENTINEL_NAME') && !given.has('REDIS_SENTINELS'))
    found.push(
      'REDIS_SENTINEL_NAME applies only with REDIS_SENTINELS, which is not set: give the Sentinels, or neither',
    );
  if (given.has('REDIS_SENTINELS') && !given.has('REDIS_SENTINEL_NAME'))
    found.push('REDIS_SENTINEL_NAME is required with REDIS_SENTINELS (the monitored master name)');
  // Not REDIS_COMMAND_TIMEOUT_MS: deploy/base sets it whether or not its Secret brings a REDIS_URL.
  if (modes.length === 0)
    for (const orphan of ['REDIS_PASSWORD', 'REDIS_TLS'].filter((name) => given.has(name)))
      found.push(
        `${orphan} applies only with REDIS_SENTINELS or REDIS_CLUSTER_NODES, and neither is set (the cache is in memory)`,
      );
  // The URL carries both: a second source would be ignored, or disagree with it.
  if (given.has('REDIS_URL') && given.has('REDIS_PASSWORD'))
    found.push('REDIS_PASSWORD does not apply with REDIS_URL: put it in the URL (redis://:password@host:6379)');
  if (given.has('REDIS_URL') && given.has('REDIS_TLS'))
    found.push('REDIS_TLS does not apply with REDIS_URL: use a rediss:// URL for TLS');
  return found;
}

function redisConnection(environment: GatewayEnvironment): RedisConnection | undefined {
  const { REDIS_URL: url, REDIS_SENTINELS: sentinels, REDIS_CLUSTER_NODES: nodes, REDIS_TLS: tls } = environment;
  const auth = environment.REDIS_PASSWORD !== undefined ? { password: environment.REDIS_PASSWORD } : {};
  if (nodes) return { mode: 'cluster', nodes, tls, ...auth };
  if (sentinels) return { mode: 'sentinel', sentinels, name: environment.REDIS_SENTINEL_NAME!, tls, ...auth };
  if (url) return { mode: 'standalone', url };
  return undefined;
}

/** The cache as the environment's settings (defaults included) describe it. */
export function cacheConfig(environment: GatewayEnvironment): CacheConfig {
  const connection = redisConnection(environment);
  const { REDIS_COMMAND_TIMEOUT_MS: commandTimeoutMs, CACHE_MEMORY_MAX_BYTES: maxBytes } = environment;
  return {
    store: connection ? { kind: 'redis', connection, commandTimeoutMs } : { kind: 'memory', maxBytes },
    keyPrefix: environment.CACHE_KEY_PREFIX,
    staleWhileRevalidateMs: environment.CACHE_STALE_WHILE_REVALIDATE_SECONDS * 1000,
    staleIfErrorMs: environment.CACHE_STALE_IF_ERROR_SECONDS * 1000,
    negativeTtlMs: environment.CACHE_NEGATIVE_TTL_SECONDS * 1000,
    compressAboveBytes: environment.CACHE_COMPRESS_ABOVE_BYTES,
    photoMaxBytes: environment.CACHE_PHOTO_MAX_BYTES,
    photoTtlMs: environment.CACHE_PHOTO_TTL_SECONDS * 1000,
    local: { ttlMs: environment.CACHE_LOCAL_TTL_SECONDS * 1000, maxBytes },
  };
}

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parse as parseYaml } from 'yaml';
import type { RedisConnection } from '@app/cache';
import type { UpstreamAccount } from '@app/interact-client';

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
}

export interface GatewayAccount extends UpstreamAccount {
  /** How long a fetched history is served without asking upstream again. */
  cacheTtlMs: number;
  resilience: ResilienceConfig;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

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
  port: number;
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
  /** Origins allowed by CORS; none (CORS off) unless configured. */
  corsOrigins: string[];
  /** Worker threads that read large upstream answers. */
  renderThreads: number;
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

/** Names the bad setting; start-up prints it and stops. */
export class ConfigError extends Error {}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_CACHE_TTL_SECONDS = 300;
const DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024;
const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_PORT = 65_535;
/**
 * Each render thread may grow to some 270 MB (see FlowRenderer), and on Node 20
 * availableParallelism() counts the node's cores, not the container's CPU limit: without a cap a
 * pod on a large node would start dozens of them.
 */
const DEFAULT_RENDER_THREADS_MAX = 4;

const TOP_LEVEL_SETTINGS = ['accounts', 'clients'];
const ACCOUNT_SETTINGS = [
  'id',
  'transport',
  'baseUrl',
  'apiVersion',
  'tenantId',
  'environmentName',
  'applicationKeyEnv',
  'applicationKeyFile',
  'timeoutMs',
  'maxResponseBytes',
  'cacheTtlSeconds',
  'resilience',
  'wsdl',
  'soapEndpoint',
];
const RESILIENCE_SETTINGS: readonly (keyof ResilienceConfig)[] = [
  'retryMaxAttempts',
  'retryInitialDelayMs',
  'retryMaxDelayMs',
  'retryDeadlineMs',
  'breakerFailureRatio',
  'breakerWindowMs',
  'breakerMinimumRps',
  'breakerHalfOpenAfterMs',
  'bulkheadMaxConcurrent',
  'bulkheadMaxQueue',
];
const CLIENT_SETTINGS = ['id', 'keySha256', 'accounts', 'rateLimitPerMinute'];

type Raw = Record<string, unknown>;

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A misspelt setting would otherwise be ignored and its default used without a word. */
function knownSettingsOnly(raw: Raw, known: readonly string[], pathOf: (key: string) => string): void {
  const unknown = Object.keys(raw).find((key) => !known.includes(key));
  if (unknown !== undefined) throw new ConfigError(`${pathOf(unknown)} is not a known setting`);
}

function requiredText(raw: Raw, key: string, at: string): string {
  const value = raw[key];
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${at}.${key} is required (text)`);
  return value;
}

function optionalText(raw: Raw, key: string, at: string): string | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${at}.${key} must be non-empty text`);
  return value;
}

function positiveInteger(raw: Raw, key: string, at: string, fallback: number): number {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigError(`${at}.${key} must be a positive whole number`);
  }
  return value;
}

function httpUrl(value: string, at: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${at} must be an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`${at} must be an http or https URL`);
  return value;
}

/** Application keys never sit in the configuration file: they come from the environment or a mounted file. */
function applicationKey(raw: Raw, at: string, accountId: string, env: NodeJS.ProcessEnv): string {
  const file = optionalText(raw, 'applicationKeyFile', at);
  if (file !== undefined) {
    let key: string;
    try {
      key = readFileSync(file, 'utf8').trim();
    } catch {
      throw new ConfigError(`${at}.applicationKeyFile cannot be read: ${file}`);
    }
    if (key === '') throw new ConfigError(`${at}.applicationKeyFile is empty: ${file}`);
    return key;
  }
  const variable = optionalText(raw, 'applicationKeyEnv', at) ?? `INTERACT_APPLICATION_KEY_${accountId}`;
  const key = env[variable]?.trim();
  if (!key) throw new ConfigError(`${variable} is not set (application key of account ${accountId}, ${at})`);
  return key;
}

function account(raw: unknown, at: string, env: NodeJS.ProcessEnv): GatewayAccount {
  if (!isObject(raw)) throw new ConfigError(`${at} must be an object`);
  if ('applicationKey' in raw) {
    throw new ConfigError(
      `${at}.applicationKey must not be in the configuration file: use applicationKeyEnv or applicationKeyFile`,
    );
  }
  knownSettingsOnly(raw, ACCOUNT_SETTINGS, (key) => `${at}.${key}`);
  const accountId = requiredText(raw, 'id', at);
  if (!ACCOUNT_ID.test(accountId)) throw new ConfigError(`${at}.id must be 1 to 64 letters, digits, '_' or '-'`);
  const transport = raw.transport;
  if (transport !== 'rest' && transport !== 'soap') throw new ConfigError(`${at}.transport must be "rest" or "soap"`);
  const environmentName = optionalText(raw, 'environmentName', at);
  const wsdl = optionalText(raw, 'wsdl', at);
  const soapEndpoint = optionalText(raw, 'soapEndpoint', at);
  return {
    accountId,
    transport,
    baseUrl: httpUrl(requiredText(raw, 'baseUrl', at), `${at}.baseUrl`),
    apiVersion: positiveInteger(raw, 'apiVersion', at, 2),
    tenantId: requiredText(raw, 'tenantId', at),
    ...(environmentName !== undefined && { environmentName }),
    applicationKey: applicationKey(raw, at, accountId, env),
    timeoutMs: positiveInteger(raw, 'timeoutMs', at, DEFAULT_TIMEOUT_MS),
    maxResponseBytes: positiveInteger(raw, 'maxResponseBytes', at, DEFAULT_MAX_RESPONSE_BYTES),
    cacheTtlMs: positiveInteger(raw, 'cacheTtlSeconds', at, DEFAULT_CACHE_TTL_SECONDS) * 1000,
    resilience: resilience(
      raw.resilience,
      `${at}.resilience`,
      positiveInteger(raw, 'timeoutMs', at, DEFAULT_TIMEOUT_MS),
    ),
    ...(wsdl !== undefined && { wsdl }),
    ...(soapEndpoint !== undefined && { soapEndpoint: httpUrl(soapEndpoint, `${at}.soapEndpoint`) }),
  };
}

function ratio(raw: Raw, key: string, at: string, fallback: number): number {
  const value = raw[key] ?? fallback;
  // Below 1, not at most 1: cockatiel's sampling breaker throws on 1 when the transport is built.
  if (typeof value !== 'number' || !(value > 0 && value < 1))
    throw new ConfigError(`${at}.${key} must be a number above 0 and below 1`);
  return value;
}

function positiveNumber(raw: Raw, key: string, at: string, fallback: number): number {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'number' || !(value > 0)) throw new ConfigError(`${at}.${key} must be a positive number`);
  return value;
}

function resilience(value: unknown, at: string, timeoutMs: number): ResilienceConfig {
  if (value !== undefined && !isObject(value)) throw new ConfigError(`${at} must be an object`);
  const raw = value ?? {};
  knownSettingsOnly(raw, RESILIENCE_SETTINGS, (key) => `${at}.${key}`);
  const config: ResilienceConfig = {
    retryMaxAttempts: positiveInteger(raw, 'retryMaxAttempts', at, 3),
    retryInitialDelayMs: positiveInteger(raw, 'retryInitialDelayMs', at, 100),
    retryMaxDelayMs: positiveInteger(raw, 'retryMaxDelayMs', at, 1_000),
    retryDeadlineMs: positiveInteger(raw, 'retryDeadlineMs', at, 2 * timeoutMs),
    breakerFailureRatio: ratio(raw, 'breakerFailureRatio', at, 0.5),
    breakerWindowMs: positiveInteger(raw, 'breakerWindowMs', at, 10_000),
    breakerMinimumRps: positiveNumber(raw, 'breakerMinimumRps', at, 1),
    breakerHalfOpenAfterMs: positiveInteger(raw, 'breakerHalfOpenAfterMs', at, 10_000),
    bulkheadMaxConcurrent: positiveInteger(raw, 'bulkheadMaxConcurrent', at, 32),
    bulkheadMaxQueue: positiveInteger(raw, 'bulkheadMaxQueue', at, 64),
  };
  if (config.retryInitialDelayMs > config.retryMaxDelayMs) {
    throw new ConfigError(
      `${at}.retryInitialDelayMs (${config.retryInitialDelayMs}) must be at most ${at}.retryMaxDelayMs (${config.retryMaxDelayMs})`,
    );
  }
  if (config.retryDeadlineMs < timeoutMs)
    throw new ConfigError(`${at}.retryDeadlineMs must be at least the account's timeoutMs (${timeoutMs})`);
  return config;
}

export function parseAccounts(document: unknown, env: NodeJS.ProcessEnv, source: string): GatewayAccount[] {
  const list = isObject(document) ? document.accounts : undefined;
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError(`${source}: accounts must be a non-empty list`);
  const accounts = list.map((raw, index) => account(raw, `${source}: accounts[${index}]`, env));
  const seen = new Set<string>();
  for (const { accountId } of accounts) {
    if (seen.has(accountId)) throw new ConfigError(`${source}: account ${accountId} is configured twice`);
    seen.add(accountId);
  }
  return accounts;
}

const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;

export function parseClients(document: unknown, accounts: GatewayAccount[], source: string): ApiClient[] {
  const list = isObject(document) ? (document.clients ?? []) : [];
  if (!Array.isArray(list)) throw new ConfigError(`${source}: clients must be a list`);
  const known = new Set(accounts.map((account) => account.accountId));
  const clients = list.map((raw: unknown, index): ApiClient => {
    const at = `${source}: clients[${index}]`;
    if (!isObject(raw)) throw new ConfigError(`${at} must be an object`);
    if ('key' in raw || 'apiKey' in raw)
      throw new ConfigError(`${at} must not hold the key itself: give keySha256, its SHA-256 in hex`);
    knownSettingsOnly(raw, CLIENT_SETTINGS, (key) => `${at}.${key}`);
    const hash = requiredText(raw, 'keySha256', at);
    if (!/^[0-9a-f]{64}$/i.test(hash))
      throw new ConfigError(`${at}.keySha256 must be 64 hexadecimal digits (the SHA-256 of the key)`);
    const allowed = raw.accounts;
    if (!Array.isArray(allowed) || allowed.length === 0 || !allowed.every((id) => typeof id === 'string')) {
      throw new ConfigError(`${at}.accounts must be a non-empty list of account ids`);
    }
    const unknown = allowed.find((id) => !known.has(id));
    if (unknown !== undefined)
      throw new ConfigError(`${at}.accounts names account ${unknown}, which is not configured`);
    return {
      id: requiredText(raw, 'id', at),
      keySha256: Buffer.from(hash, 'hex'),
      accounts: allowed as string[],
      rateLimitPerMinute: positiveInteger(raw, 'rateLimitPerMinute', at, DEFAULT_RATE_LIMIT_PER_MINUTE),
    };
  });
  const ids = new Set<string>();
  for (const client of clients) {
    if (ids.has(client.id)) throw new ConfigError(`${source}: client ${client.id} is configured twice`);
    ids.add(client.id);
  }
  return clients;
}

/** One render thread per core but the event loop's, within DEFAULT_RENDER_THREADS_MAX. */
function defaultRenderThreads(): number {
  return Math.min(DEFAULT_RENDER_THREADS_MAX, Math.max(1, availableParallelism() - 1));
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const rawPort = envValue(env, 'PORT');
  const port = rawPort === undefined ? 3000 : plainNumber(rawPort, true);
  if (!isPort(port)) throw new ConfigError(`PORT must be a port number from 1 to ${MAX_PORT}, got "${rawPort}"`);
  const file = env.GATEWAY_CONFIG_FILE;
  if (!file)
    throw new ConfigError('GATEWAY_CONFIG_FILE is not set (the YAML or JSON file that lists the Interact accounts)');
  let document: unknown;
  try {
    // YAML is a superset of JSON: one parser reads both.
    document = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`GATEWAY_CONFIG_FILE cannot be read as YAML or JSON (${file}): ${(error as Error).message}`);
  }
  if (isObject(document)) knownSettingsOnly(document, TOP_LEVEL_SETTINGS, (key) => `GATEWAY_CONFIG_FILE: ${key}`);
  const accounts = parseAccounts(document, env, 'GATEWAY_CONFIG_FILE');
  const publicBaseUrl = env.PUBLIC_BASE_URL
    ? httpUrl(env.PUBLIC_BASE_URL, 'PUBLIC_BASE_URL').replace(/\/+$/, '')
    : undefined;
  // No time at all would cut every request in flight.
  const shutdownGraceSeconds = envNumber(env, 'SHUTDOWN_GRACE_SECONDS', 20, 1);
  const drainListenSeconds = envNumber(env, 'DRAIN_LISTEN_SECONDS', 2);
  // The port closes inside the grace period, so that requests accepted until then still have time.
  if (drainListenSeconds >= shutdownGraceSeconds) {
    const given = envValue(env, 'DRAIN_LISTEN_SECONDS') === undefined ? 'its default' : 'given';
    throw new ConfigError(
      `DRAIN_LISTEN_SECONDS must be less than SHUTDOWN_GRACE_SECONDS (${shutdownGraceSeconds}), got ${drainListenSeconds} (${given})`,
    );
  }
  return {
    port,
    host: env.HOST || '0.0.0.0',
    ...(publicBaseUrl && { publicBaseUrl }),
    accounts,
    clients: parseClients(document, accounts, 'GATEWAY_CONFIG_FILE'),
    cache: cacheConfig(env),
    logLevel: logLevel(env),
    shutdownGraceMs: shutdownGraceSeconds * 1000,
    drainListenMs: drainListenSeconds * 1000,
    docsEnabled: envBoolean(env, 'DOCS_ENABLED', true),
    corsOrigins: corsOrigins(env),
    renderThreads: envNumber(env, 'RENDER_THREADS', defaultRenderThreads(), 1, true),
  };
}

/** An empty variable means unset: Kubernetes passes an env entry without a value as "", Compose an unset ${VAR} alike. */
function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  return raw === '' ? undefined : raw;
}

const isPort = (value: number) => Number.isInteger(value) && value >= 1 && value <= MAX_PORT;

function envBoolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = envValue(env, name);
  if (raw === undefined) return fallback;
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(`${name} must be "true" or "false", got "${raw}"`);
  return raw === 'true';
}

function corsOrigins(env: NodeJS.ProcessEnv): string[] {
  if (!env.CORS_ORIGINS) return [];
  return env.CORS_ORIGINS.split(',').map((origin) => {
    const trimmed = origin.trim();
    if (!/^https?:\/\/[^/\s]+$/.test(trimmed))
      throw new ConfigError(`CORS_ORIGINS must list origins such as https://desk.example.com, got "${trimmed}"`);
    return trimmed;
  });
}

function logLevel(env: NodeJS.ProcessEnv): LogLevel {
  const level = envValue(env, 'LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  return level as LogLevel;
}

/** Number() alone would also take "0x10", "1e3", " 5 " and "+5": a typo must not pass for a value. */
function plainNumber(raw: string, whole: boolean): number {
  return (whole ? /^\d+$/ : /^\d+(\.\d+)?$/).test(raw) ? Number(raw) : Number.NaN;
}

/** Counts, bytes and milliseconds are `whole`; seconds may take a fraction, as they become milliseconds. */
function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, minimum = 0, whole = false): number {
  const raw = envValue(env, name);
  if (raw === undefined) return fallback;
  const value = plainNumber(raw, whole);
  if (!(whole ? Number.isSafeInteger(value) : Number.isFinite(value)) || value < minimum)
    throw new ConfigError(
      `${name} must be a ${whole ? 'whole number' : 'number'} of at least ${minimum}, got "${raw}"`,
    );
  return value;
}

function hostPorts(name: string, raw: string): Array<{ host: string; port: number }> {
  return raw.split(',').map((item) => {
    const match = /^\s*([^:\s]+):(\d{1,5})\s*$/.exec(item);
    if (!match) throw new ConfigError(`${name} must list host:port pairs separated by commas, got "${item}"`);
    const port = Number(match[2]);
    if (!isPort(port)) throw new ConfigError(`${name} must give ports from 1 to ${MAX_PORT}, got "${item}"`);
    return { host: match[1], port };
  });
}

const REDIS_MODES = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'];

function redisConnection(env: NodeJS.ProcessEnv): RedisConnection | undefined {
  const modes = REDIS_MODES.filter((name) => envValue(env, name) !== undefined);
  if (modes.length > 1)
    throw new ConfigError(`${REDIS_MODES.join(', ')} exclude one another: set one, got ${modes.join(' and ')}`);
  // Without their mode these would be ignored without a word, and the gateway use another cache than the one meant.
  if (envValue(env, 'REDIS_SENTINEL_NAME') !== undefined && envValue(env, 'REDIS_SENTINELS') === undefined)
    throw new ConfigError(
      'REDIS_SENTINEL_NAME applies only with REDIS_SENTINELS, which is not set: give the Sentinels, or neither',
    );
  // Not REDIS_COMMAND_TIMEOUT_MS: deploy/base sets it whether or not its Secret brings a REDIS_URL.
  if (modes.length === 0) {
    const orphan = ['REDIS_PASSWORD', 'REDIS_TLS'].find((name) => envValue(env, name) !== undefined);
    if (orphan !== undefined)
      throw new ConfigError(
        `${orphan} applies only with REDIS_SENTINELS or REDIS_CLUSTER_NODES, and neither is set (the cache is in memory)`,
      );
  }
  const tls = envBoolean(env, 'REDIS_TLS', false);
  const password = envValue(env, 'REDIS_PASSWORD');
  const auth = password !== undefined ? { password } : {};
  if (env.REDIS_CLUSTER_NODES)
    return { mode: 'cluster', nodes: hostPorts('REDIS_CLUSTER_NODES', env.REDIS_CLUSTER_NODES), tls, ...auth };
  if (env.REDIS_SENTINELS) {
    if (!env.REDIS_SENTINEL_NAME)
      throw new ConfigError('REDIS_SENTINEL_NAME is required with REDIS_SENTINELS (the monitored master name)');
    return {
      mode: 'sentinel',
      sentinels: hostPorts('REDIS_SENTINELS', env.REDIS_SENTINELS),
      name: env.REDIS_SENTINEL_NAME,
      tls,
      ...auth,
    };
  }
  if (env.REDIS_URL) {
    if (!/^rediss?:\/\/[^\s]+$/.test(env.REDIS_URL))
      throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL');
    // The URL carries both: a second source would be ignored, or disagree with it.
    if (password !== undefined)
      throw new ConfigError(
        'REDIS_PASSWORD does not apply with REDIS_URL: put it in the URL (redis://:password@host:6379)',
      );
    if (envValue(env, 'REDIS_TLS') !== undefined)
      throw new ConfigError('REDIS_TLS does not apply with REDIS_URL: use a rediss:// URL for TLS');
    return { mode: 'standalone', url: env.REDIS_URL };
  }
  return undefined;
}

function cacheConfig(env: NodeJS.ProcessEnv): CacheConfig {
  const connection = redisConnection(env);
  const keyPrefix = envValue(env, 'CACHE_KEY_PREFIX') ?? 'ifg';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(keyPrefix))
    throw new ConfigError('CACHE_KEY_PREFIX must be 1 to 64 letters, digits, ".", "_" or "-"');
  // Both checked whichever store is used: a typo in the unused one would otherwise surface only when the store changes.
  const commandTimeoutMs = envNumber(env, 'REDIS_COMMAND_TIMEOUT_MS', 250, 1, true);
  const memoryMaxBytes = envNumber(env, 'CACHE_MEMORY_MAX_BYTES', 64 * 1024 * 1024, 1024, true);
  return {
    store: connection ? { kind: 'redis', connection, commandTimeoutMs } : { kind: 'memory', maxBytes: memoryMaxBytes },
    keyPrefix,
    staleWhileRevalidateMs: envNumber(env, 'CACHE_STALE_WHILE_REVALIDATE_SECONDS', 60) * 1000,
    staleIfErrorMs: envNumber(env, 'CACHE_STALE_IF_ERROR_SECONDS', 3600) * 1000,
    negativeTtlMs: envNumber(env, 'CACHE_NEGATIVE_TTL_SECONDS', 30) * 1000,
    compressAboveBytes: envNumber(env, 'CACHE_COMPRESS_ABOVE_BYTES', 16 * 1024, 0, true),
    local: { ttlMs: envNumber(env, 'CACHE_LOCAL_TTL_SECONDS', 2) * 1000, maxBytes: memoryMaxBytes },
  };
}

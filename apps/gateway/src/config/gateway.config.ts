import { readFileSync } from 'node:fs';
import type { UpstreamAccount } from '@app/interact-client';

export interface GatewayConfig {
  port: number;
  host: string;
  /** Absolute base of problem type URIs and the OpenAPI server; relative when unset. */
  publicBaseUrl?: string;
  accounts: UpstreamAccount[];
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

/** Names the bad setting; start-up prints it and stops. */
export class ConfigError extends Error {}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024;
const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;

type Raw = Record<string, unknown>;

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

/** Application keys never sit in the accounts file: they come from the environment or a mounted file. */
function applicationKey(raw: Raw, at: string, accountId: string, env: NodeJS.ProcessEnv): string {
  if ('applicationKey' in raw) {
    throw new ConfigError(
      `${at}.applicationKey must not be in the accounts file: use applicationKeyEnv or applicationKeyFile`,
    );
  }
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

function account(raw: unknown, at: string, env: NodeJS.ProcessEnv): UpstreamAccount {
  if (!isObject(raw)) throw new ConfigError(`${at} must be an object`);
  const accountId = requiredText(raw, 'id', at);
  if (!ACCOUNT_ID.test(accountId)) throw new ConfigError(`${at}.id must be 1 to 64 letters, digits, '_' or '-'`);
  const transport = raw.transport;
  if (transport !== 'rest' && transport !== 'soap') throw new ConfigError(`${at}.transport must be "rest" or "soap"`);
  const wsdl = optionalText(raw, 'wsdl', at);
  const soapEndpoint = optionalText(raw, 'soapEndpoint', at);
  return {
    accountId,
    transport,
    baseUrl: httpUrl(requiredText(raw, 'baseUrl', at), `${at}.baseUrl`),
    apiVersion: positiveInteger(raw, 'apiVersion', at, 2),
    tenantId: requiredText(raw, 'tenantId', at),
    environmentName: requiredText(raw, 'environmentName', at),
    applicationKey: applicationKey(raw, at, accountId, env),
    timeoutMs: positiveInteger(raw, 'timeoutMs', at, DEFAULT_TIMEOUT_MS),
    maxResponseBytes: positiveInteger(raw, 'maxResponseBytes', at, DEFAULT_MAX_RESPONSE_BYTES),
    ...(wsdl !== undefined && { wsdl }),
    ...(soapEndpoint !== undefined && { soapEndpoint: httpUrl(soapEndpoint, `${at}.soapEndpoint`) }),
  };
}

export function parseAccounts(document: unknown, env: NodeJS.ProcessEnv, source: string): UpstreamAccount[] {
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

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`PORT must be a port number, got "${env.PORT}"`);
  const file = env.GATEWAY_ACCOUNTS_FILE;
  if (!file) throw new ConfigError('GATEWAY_ACCOUNTS_FILE is not set (the JSON file that lists the Interact accounts)');
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`GATEWAY_ACCOUNTS_FILE cannot be read as JSON (${file}): ${(error as Error).message}`);
  }
  const publicBaseUrl = env.PUBLIC_BASE_URL
    ? httpUrl(env.PUBLIC_BASE_URL, 'PUBLIC_BASE_URL').replace(/\/+$/, '')
    : undefined;
  return {
    port,
    host: env.HOST || '0.0.0.0',
    ...(publicBaseUrl && { publicBaseUrl }),
    accounts: parseAccounts(document, env, 'GATEWAY_ACCOUNTS_FILE'),
  };
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadGatewayConfig } from '../apps/gateway/src/config/gateway.config.js';

const folder = mkdtempSync(join(tmpdir(), 'gateway-config-'));
let files = 0;
function accountsFile(content: unknown): string {
  const file = join(folder, `accounts-${(files += 1)}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const restAccount = {
  id: '12345678',
  transport: 'rest',
  baseUrl: 'http://interact.internal:8080',
  tenantId: 'tenant',
  environmentName: 'PROD',
};

function load(accounts: unknown, env: Record<string, string> = {}) {
  return loadGatewayConfig({
    GATEWAY_CONFIG_FILE: accountsFile(accounts),
    INTERACT_APPLICATION_KEY_12345678: 'key-from-env',
    ...env,
  });
}

describe('gateway configuration', () => {
  it('reads accounts with defaults and the application key from the environment', () => {
    const config = load({ accounts: [restAccount] });
    expect(config).toMatchObject({ port: 3000, host: '0.0.0.0' });
    expect(config.accounts).toEqual([
      {
        accountId: '12345678',
        transport: 'rest',
        baseUrl: 'http://interact.internal:8080',
        apiVersion: 2,
        tenantId: 'tenant',
        environmentName: 'PROD',
        applicationKey: 'key-from-env',
        timeoutMs: 10_000,
        maxResponseBytes: 20 * 1024 * 1024,
        cacheTtlMs: 300_000,
        resilience: {
          retryMaxAttempts: 3,
          retryInitialDelayMs: 100,
          retryMaxDelayMs: 1_000,
          retryDeadlineMs: 20_000,
          breakerFailureRatio: 0.5,
          breakerWindowMs: 10_000,
          breakerMinimumRps: 1,
          breakerHalfOpenAfterMs: 10_000,
          bulkheadMaxConcurrent: 32,
          bulkheadMaxQueue: 64,
        },
      },
    ]);
    expect(config).toMatchObject({ logLevel: 'info', shutdownGraceMs: 20_000 });
  });

  it('reads YAML as well as JSON', () => {
    const yaml = [
      'accounts:',
      '  - id: "12345678"',
      '    transport: soap',
      '    baseUrl: https://interact.example',
      '    tenantId: t',
      '    environmentName: PROD',
    ].join('\n');
    const config = loadGatewayConfig({
      GATEWAY_CONFIG_FILE: accountsFile(yaml),
      INTERACT_APPLICATION_KEY_12345678: 'k',
    });
    expect(config.accounts[0]).toMatchObject({
      accountId: '12345678',
      transport: 'soap',
      baseUrl: 'https://interact.example',
    });
  });

  it('reads an application key from a mounted file or a named variable', () => {
    const keyFile = join(folder, 'key');
    writeFileSync(keyFile, 'key-from-file\n');
    expect(load({ accounts: [{ ...restAccount, applicationKeyFile: keyFile }] }).accounts[0].applicationKey).toBe(
      'key-from-file',
    );
    expect(
      load({ accounts: [{ ...restAccount, applicationKeyEnv: 'MY_KEY' }] }, { MY_KEY: 'key-from-named' }).accounts[0]
        .applicationKey,
    ).toBe('key-from-named');
  });

  it.each([
    ['GATEWAY_CONFIG_FILE unset', () => loadGatewayConfig({}), /^GATEWAY_CONFIG_FILE is not set/],
    [
      'a file that is neither YAML nor JSON',
      () => load('{ nope'),
      /^GATEWAY_CONFIG_FILE cannot be read as YAML or JSON/,
    ],
    ['no accounts', () => load({ accounts: [] }), /accounts must be a non-empty list/],
    [
      'a bad transport',
      () => load({ accounts: [{ ...restAccount, transport: 'grpc' }] }),
      /accounts\[0\]\.transport must be "rest" or "soap"/,
    ],
    [
      'a relative base URL',
      () => load({ accounts: [{ ...restAccount, baseUrl: 'interact' }] }),
      /accounts\[0\]\.baseUrl must be an absolute URL/,
    ],
    [
      'a missing tenant id',
      () => load({ accounts: [{ ...restAccount, tenantId: '' }] }),
      /accounts\[0\]\.tenantId is required/,
    ],
    [
      'a zero timeout',
      () => load({ accounts: [{ ...restAccount, timeoutMs: 0 }] }),
      /accounts\[0\]\.timeoutMs must be a positive whole number/,
    ],
    [
      'an account id with a slash',
      () => load({ accounts: [{ ...restAccount, id: '1/2' }] }),
      /accounts\[0\]\.id must be/,
    ],
    [
      'a duplicated account',
      () => load({ accounts: [restAccount, restAccount] }),
      /account 12345678 is configured twice/,
    ],
    [
      'an application key in the file',
      () => load({ accounts: [{ ...restAccount, applicationKey: 'oops' }] }),
      /accounts\[0\]\.applicationKey must not be in the configuration file/,
    ],
    [
      'a missing key variable',
      () => load({ accounts: [{ ...restAccount, id: '999' }] }),
      /^INTERACT_APPLICATION_KEY_999 is not set/,
    ],
    [
      'an unreadable key file',
      () => load({ accounts: [{ ...restAccount, applicationKeyFile: '/nonexistent/key' }] }),
      /applicationKeyFile cannot be read/,
    ],
    [
      'a failure ratio above 1',
      () => load({ accounts: [{ ...restAccount, resilience: { breakerFailureRatio: 2 } }] }),
      /accounts\[0\]\.resilience\.breakerFailureRatio must be a number above 0 and at most 1/,
    ],
    [
      'a deadline shorter than the timeout',
      () => load({ accounts: [{ ...restAccount, timeoutMs: 5_000, resilience: { retryDeadlineMs: 1_000 } }] }),
      /accounts\[0\]\.resilience\.retryDeadlineMs must be at least/,
    ],
    [
      'an unknown LOG_LEVEL',
      () => load({ accounts: [restAccount] }, { LOG_LEVEL: 'loud' }),
      /^LOG_LEVEL must be one of/,
    ],
    [
      'a bad REDIS_URL',
      () => load({ accounts: [restAccount] }, { REDIS_URL: 'http://redis' }),
      /^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/,
    ],
    [
      'sentinels without a master name',
      () => load({ accounts: [restAccount] }, { REDIS_SENTINELS: 'a:26379' }),
      /^REDIS_SENTINEL_NAME is required/,
    ],
    ['a bad PORT', () => load({ accounts: [restAccount] }, { PORT: 'eighty' }), /^PORT must be a port number/],
    [
      'a bad PUBLIC_BASE_URL',
      () => load({ accounts: [restAccount] }, { PUBLIC_BASE_URL: 'ftp://x' }),
      /^PUBLIC_BASE_URL must be an http or https URL/,
    ],
  ])('stops on %s with a message naming the setting', (_case, attempt, message) => {
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  it('never repeats an application key in its messages', () => {
    try {
      load({ accounts: [{ ...restAccount, applicationKey: 'canary-secret-in-file' }] });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('canary-secret-in-file');
    }
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

const client = {
  id: 'desk',
  keySha256: 'c48a01f49fd0f2cc404bc3cbbc80e91457a3d41bb429a695243de4c61794155c',
  accounts: ['12345678'],
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
    expect(config).toMatchObject({ port: 3000, adminPort: 9464, host: '0.0.0.0' });
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
        maxPhotoBytes: 15 * 1024 * 1024,
        photoDots: 'plain',
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
          photoBulkheadMaxConcurrent: 16,
          photoBulkheadMaxQueue: 32,
        },
      },
    ]);
    expect(config).toMatchObject({ logLevel: 'info', shutdownGraceMs: 20_000, drainListenMs: 2_000 });
  });

  it('keeps the port open on a drain for DRAIN_LISTEN_SECONDS, fractions and none included', () => {
    for (const [seconds, ms] of [
      ['0', 0],
      ['0.5', 500],
      ['19.5', 19_500],
    ] as const)
      expect(load({ accounts: [restAccount] }, { DRAIN_LISTEN_SECONDS: seconds }).drainListenMs).toBe(ms);
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

  it('reads an account without environmentName, for which upstream needs none', () => {
    // JSON leaves an undefined property out of the file.
    const [account] = load({ accounts: [{ ...restAccount, environmentName: undefined }] }).accounts;
    expect(account).toMatchObject({ accountId: '12345678', tenantId: 'tenant' });
    expect(account).not.toHaveProperty('environmentName');
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

  it('tells Swagger UI nothing of a demo, and keeps no key, unless the file says so', () => {
    expect(load({ accounts: [restAccount] }).docs).toEqual({ persistAuthorization: false });
    const demo = { apiKey: 'demo-key', ids: [{ id: '040100713', lookup: 'interactionId', gives: 'Four pages' }] };
    expect(
      load({ accounts: [restAccount], clients: [client], docs: { persistAuthorization: true, demo } }).docs,
    ).toEqual({ persistAuthorization: true, demo });
  });

  it.each([
    ['GATEWAY_CONFIG_FILE unset', () => loadGatewayConfig({}), /^GATEWAY_CONFIG_FILE is not set/],
    [
      'a demo key that no client has, which Swagger UI would offer in vain',
      () => load({ accounts: [restAccount], clients: [client], docs: { demo: { apiKey: 'other-key' } } }),
      /^GATEWAY_CONFIG_FILE: docs\.demo\.apiKey is the key of no configured client/,
    ],
    [
      'persistAuthorization as text',
      () => load({ accounts: [restAccount], docs: { persistAuthorization: 'true' } }),
      /^GATEWAY_CONFIG_FILE: docs\.persistAuthorization must be true or false$/,
    ],
    [
      'a demo id without the path parameter it goes in',
      () =>
        load({
          accounts: [restAccount],
          clients: [client],
          docs: { demo: { apiKey: 'demo-key', ids: [{ id: '040100713', lookup: 'uniqueId', gives: 'Four pages' }] } },
        }),
      /^GATEWAY_CONFIG_FILE: docs\.demo\.ids\[0\]\.lookup must be "interactionId" or "callerAttribute"$/,
    ],
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
    ...['', '  ', 7].map((environmentName) => [
      `environmentName ${JSON.stringify(environmentName)}`,
      () => load({ accounts: [{ ...restAccount, environmentName }] }),
      /accounts\[0\]\.environmentName must be non-empty text/,
    ]),
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
      /accounts\[0\]\.resilience\.breakerFailureRatio must be a number above 0 and below 1/,
    ],
    [
      'a failure ratio of 1, which the circuit breaker cannot take',
      () => load({ accounts: [{ ...restAccount, resilience: { breakerFailureRatio: 1 } }] }),
      /accounts\[0\]\.resilience\.breakerFailureRatio must be a number above 0 and below 1/,
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
    ['PORT 0', () => load({ accounts: [restAccount] }, { PORT: '0' }), /^PORT must be a port number from 1 to 65535/],
    ['PORT above 65535', () => load({ accounts: [restAccount] }, { PORT: '65536' }), /^PORT must be a port number/],
    [
      'a bad ADMIN_PORT',
      () => load({ accounts: [restAccount] }, { ADMIN_PORT: '0' }),
      /^ADMIN_PORT must be a port number from 1 to 65535, got "0"/,
    ],
    [
      'ADMIN_PORT the same as PORT',
      () => load({ accounts: [restAccount] }, { PORT: '8080', ADMIN_PORT: '8080' }),
      /^ADMIN_PORT must differ from PORT \(8080\): probes and metrics have a port of their own/,
    ],
    [
      'an unknown top-level setting',
      () => load({ accounts: [restAccount], clinets: [] }),
      /^GATEWAY_CONFIG_FILE: clinets is not a known setting$/,
    ],
    [
      'an unknown account setting',
      () => load({ accounts: [{ ...restAccount, cacheTTLSeconds: 60 }] }),
      /^GATEWAY_CONFIG_FILE: accounts\[0\]\.cacheTTLSeconds is not a known setting$/,
    ],
    [
      'an unknown resilience setting',
      () => load({ accounts: [{ ...restAccount, resilience: { retryMaxAtempts: 5 } }] }),
      /^GATEWAY_CONFIG_FILE: accounts\[0\]\.resilience\.retryMaxAtempts is not a known setting$/,
    ],
    [
      'an unknown client setting',
      () => load({ accounts: [restAccount], clients: [{ ...client, rateLimitPerMin: 60 }] }),
      /^GATEWAY_CONFIG_FILE: clients\[0\]\.rateLimitPerMin is not a known setting$/,
    ],
    [
      'a first retry delay above the longest',
      () =>
        load({ accounts: [{ ...restAccount, resilience: { retryInitialDelayMs: 2_000, retryMaxDelayMs: 1_000 } }] }),
      /accounts\[0\]\.resilience\.retryInitialDelayMs \(2000\) must be at most .*accounts\[0\]\.resilience\.retryMaxDelayMs \(1000\)/,
    ],
    [
      'a sentinel port above 65535',
      () => load({ accounts: [restAccount] }, { REDIS_SENTINELS: 'a:26379,r:99999', REDIS_SENTINEL_NAME: 'main' }),
      /^REDIS_SENTINELS must give ports from 1 to 65535, got "r:99999"/,
    ],
    [
      'a cluster node on port 0',
      () => load({ accounts: [restAccount] }, { REDIS_CLUSTER_NODES: 'a:0' }),
      /^REDIS_CLUSTER_NODES must give ports from 1 to 65535, got "a:0"/,
    ],
    [
      'a REDIS_TLS that is not true or false',
      () => load({ accounts: [restAccount] }, { REDIS_CLUSTER_NODES: 'a:6379', REDIS_TLS: 'yes' }),
      /^REDIS_TLS must be "true" or "false", got "yes"/,
    ],
    [
      'both REDIS_URL and REDIS_SENTINELS',
      () =>
        load(
          { accounts: [restAccount] },
          { REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_NAME: 'main' },
        ),
      /^REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES exclude one another: set one, got REDIS_URL and REDIS_SENTINELS$/,
    ],
    [
      'both REDIS_SENTINELS and REDIS_CLUSTER_NODES',
      () =>
        load(
          { accounts: [restAccount] },
          { REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_NAME: 'main', REDIS_CLUSTER_NODES: 'b:6379' },
        ),
      /exclude one another: set one, got REDIS_SENTINELS and REDIS_CLUSTER_NODES$/,
    ],
    ...(
      [
        ['alone', {}],
        ['with an empty REDIS_SENTINELS', { REDIS_SENTINELS: '' }],
        ['beside REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: 'a:6379' }],
        ['beside REDIS_URL', { REDIS_URL: 'redis://r:6379' }],
      ] as const
    ).map(([when, env]) => [
      `REDIS_SENTINEL_NAME ${when}`,
      () => load({ accounts: [restAccount] }, { REDIS_SENTINEL_NAME: 'main', ...env }),
      /^REDIS_SENTINEL_NAME applies only with REDIS_SENTINELS, which is not set/,
    ]),
    [
      'REDIS_PASSWORD without Sentinel or Cluster',
      () => load({ accounts: [restAccount] }, { REDIS_PASSWORD: 'secret' }),
      /^REDIS_PASSWORD applies only with REDIS_SENTINELS or REDIS_CLUSTER_NODES, and neither is set/,
    ],
    [
      'REDIS_TLS without Sentinel or Cluster',
      () => load({ accounts: [restAccount] }, { REDIS_TLS: 'true' }),
      /^REDIS_TLS applies only with REDIS_SENTINELS or REDIS_CLUSTER_NODES, and neither is set/,
    ],
    [
      'REDIS_PASSWORD beside REDIS_URL',
      () => load({ accounts: [restAccount] }, { REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: 'secret' }),
      /^REDIS_PASSWORD does not apply with REDIS_URL/,
    ],
    [
      'REDIS_TLS beside REDIS_URL',
      () => load({ accounts: [restAccount] }, { REDIS_URL: 'redis://r:6379', REDIS_TLS: 'true' }),
      /^REDIS_TLS does not apply with REDIS_URL: use a rediss:\/\/ URL/,
    ],
    [
      'SHUTDOWN_GRACE_SECONDS 0',
      () => load({ accounts: [restAccount] }, { SHUTDOWN_GRACE_SECONDS: '0' }),
      /^SHUTDOWN_GRACE_SECONDS must be a number of at least 1, got "0"/,
    ],
    [
      'a negative DRAIN_LISTEN_SECONDS',
      () => load({ accounts: [restAccount] }, { DRAIN_LISTEN_SECONDS: '-1' }),
      /^DRAIN_LISTEN_SECONDS must be a number of at least 0, got "-1"/,
    ],
    [
      'DRAIN_LISTEN_SECONDS as long as the grace period',
      () => load({ accounts: [restAccount] }, { DRAIN_LISTEN_SECONDS: '20' }),
      /^DRAIN_LISTEN_SECONDS must be less than SHUTDOWN_GRACE_SECONDS \(20\), got 20 \(given\)/,
    ],
    [
      'a grace period no longer than the default DRAIN_LISTEN_SECONDS',
      () => load({ accounts: [restAccount] }, { SHUTDOWN_GRACE_SECONDS: '1.5' }),
      /^DRAIN_LISTEN_SECONDS must be less than SHUTDOWN_GRACE_SECONDS \(1.5\), got 2 \(its default\)/,
    ],
    [
      'RENDER_THREADS 0',
      () => load({ accounts: [restAccount] }, { RENDER_THREADS: '0' }),
      /^RENDER_THREADS must be a whole number of at least 1, got "0"/,
    ],
    [
      'a fractional RENDER_THREADS',
      () => load({ accounts: [restAccount] }, { RENDER_THREADS: '1.5' }),
      /^RENDER_THREADS must be a whole number of at least 1, got "1.5"/,
    ],
    ...(
      [
        ['PORT', '0x50', /^PORT must be a port number from 1 to 65535, got "0x50"/],
        ['PORT', '8e3', /^PORT must be a port number from 1 to 65535, got "8e3"/],
        ['PORT', ' 3000 ', /^PORT must be a port number from 1 to 65535, got " 3000 "/],
        ['PORT', '+3000', /^PORT must be a port number from 1 to 65535, got "\+3000"/],
        ['PORT', '3000.0', /^PORT must be a port number from 1 to 65535, got "3000.0"/],
        ['RENDER_THREADS', '0x2', /^RENDER_THREADS must be a whole number of at least 1, got "0x2"/],
        ['RENDER_THREADS', '2.0', /^RENDER_THREADS must be a whole number of at least 1, got "2.0"/],
        ['SHUTDOWN_GRACE_SECONDS', '1e3', /^SHUTDOWN_GRACE_SECONDS must be a number of at least 1, got "1e3"/],
        ['SHUTDOWN_GRACE_SECONDS', ' 5 ', /^SHUTDOWN_GRACE_SECONDS must be a number of at least 1, got " 5 "/],
        ['SHUTDOWN_GRACE_SECONDS', '+5', /^SHUTDOWN_GRACE_SECONDS must be a number of at least 1, got "\+5"/],
        ['SHUTDOWN_GRACE_SECONDS', '.5e1', /^SHUTDOWN_GRACE_SECONDS must be a number of at least 1, got "\.5e1"/],
        ['DRAIN_LISTEN_SECONDS', '2s', /^DRAIN_LISTEN_SECONDS must be a number of at least 0, got "2s"/],
        [
          'CACHE_NEGATIVE_TTL_SECONDS',
          '0x10',
          /^CACHE_NEGATIVE_TTL_SECONDS must be a number of at least 0, got "0x10"/,
        ],
        ['CACHE_LOCAL_TTL_SECONDS', '-1', /^CACHE_LOCAL_TTL_SECONDS must be a number of at least 0, got "-1"/],
        [
          'CACHE_MEMORY_MAX_BYTES',
          '65536.5',
          /^CACHE_MEMORY_MAX_BYTES must be a whole number of at least 1024, got "65536.5"/,
        ],
        [
          'CACHE_COMPRESS_ABOVE_BYTES',
          '16e3',
          /^CACHE_COMPRESS_ABOVE_BYTES must be a whole number of at least 0, got "16e3"/,
        ],
      ] as const
    ).map(([name, value, message]) => [
      `${name}="${value}"`,
      () => load({ accounts: [restAccount] }, { [name]: value }),
      message,
    ]),
    [
      'REDIS_COMMAND_TIMEOUT_MS="0x100"',
      () => load({ accounts: [restAccount] }, { REDIS_CLUSTER_NODES: 'a:6379', REDIS_COMMAND_TIMEOUT_MS: '0x100' }),
      /^REDIS_COMMAND_TIMEOUT_MS must be a whole number of at least 1, got "0x100"/,
    ],
    [
      'REDIS_COMMAND_TIMEOUT_MS="abc" with the in-memory cache',
      () => load({ accounts: [restAccount] }, { REDIS_COMMAND_TIMEOUT_MS: 'abc' }),
      /^REDIS_COMMAND_TIMEOUT_MS must be a whole number of at least 1, got "abc"/,
    ],
    [
      'CACHE_MEMORY_MAX_BYTES="abc" with Redis',
      () => load({ accounts: [restAccount] }, { REDIS_URL: 'redis://127.0.0.1:6379', CACHE_MEMORY_MAX_BYTES: 'abc' }),
      /^CACHE_MEMORY_MAX_BYTES must be a whole number of at least 1024, got "abc"/,
    ],
    [
      'a bad PUBLIC_BASE_URL',
      () => load({ accounts: [restAccount] }, { PUBLIC_BASE_URL: 'ftp://x' }),
      /^PUBLIC_BASE_URL must be an http or https URL/,
    ],
    [
      'an own __proto__ key, which class-transformer would drop unseen',
      () =>
        load(
          '{"accounts": [{"id": "12345678", "transport": "rest", "baseUrl": "http://i", "tenantId": "t", "__proto__": {}}]}',
        ),
      /^GATEWAY_CONFIG_FILE: accounts\[0\]\.__proto__ is not a known setting$/,
    ],
    ['a file that holds no object', () => load('[]'), /^GATEWAY_CONFIG_FILE must hold an object of settings/],
  ])('stops on %s with a message naming the setting', (_case, attempt, message) => {
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  it('reports every mistake at once, each naming its setting, those of the file and of the environment', () => {
    const mistakes = () =>
      load(
        {
          accounts: [
            { ...restAccount, transport: 'grpc', timeoutMs: 0, resilience: { retryMaxAtempts: 5 } },
            { ...restAccount, id: '55', baseUrl: 'interact', resilience: { retryInitialDelayMs: 2_000 } },
            restAccount,
          ],
          clients: [{ ...client, accounts: ['12345678', '999'] }],
        },
        { PORT: '0x50', LOG_LEVEL: 'loud', DRAIN_LISTEN_SECONDS: '30' },
      );
    const problems = [
      'PORT must be a port number from 1 to 65535, got "0x50"',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      'DRAIN_LISTEN_SECONDS must be less than SHUTDOWN_GRACE_SECONDS (20), got 30 (given)',
      'GATEWAY_CONFIG_FILE: accounts[0].transport must be "rest" or "soap"',
      'GATEWAY_CONFIG_FILE: accounts[0].timeoutMs must be a positive whole number',
      'GATEWAY_CONFIG_FILE: accounts[0].resilience.retryMaxAtempts is not a known setting',
      'GATEWAY_CONFIG_FILE: accounts[1].baseUrl must be an absolute URL',
      'GATEWAY_CONFIG_FILE: accounts[1].resilience.retryInitialDelayMs (2000) must be at most accounts[1].resilience.retryMaxDelayMs (1000)',
      'GATEWAY_CONFIG_FILE: account 12345678 is configured twice',
      'GATEWAY_CONFIG_FILE: clients[0].accounts names account 999, which is not configured',
      'INTERACT_APPLICATION_KEY_55 is not set (application key of account 55, GATEWAY_CONFIG_FILE: accounts[1])',
    ];
    expect(mistakes).toThrow(ConfigError);
    try {
      mistakes();
    } catch (error) {
      expect([...(error as ConfigError).problems].sort()).toEqual([...problems].sort());
      // What start-up prints after "Configuration error: ".
      expect((error as ConfigError).message).toBe(
        `${problems.length} problems:\n${(error as ConfigError).problems.map((problem) => `  ${problem}`).join('\n')}`,
      );
    }
  });

  it('takes an empty variable as unset, like an absent one', () => {
    const config = load(
      { accounts: [restAccount] },
      Object.fromEntries(
        [
          'PORT',
          'LOG_LEVEL',
          'SHUTDOWN_GRACE_SECONDS',
          'DRAIN_LISTEN_SECONDS',
          'CACHE_KEY_PREFIX',
          'REDIS_URL',
          'REDIS_PASSWORD',
          'REDIS_TLS',
          'RENDER_THREADS',
        ].map((name) => [name, '']),
      ),
    );
    expect(config).toMatchObject({
      port: 3000,
      logLevel: 'info',
      shutdownGraceMs: 20_000,
      drainListenMs: 2_000,
      renderThreads: load({ accounts: [restAccount] }).renderThreads,
    });
    expect(config.cache).toMatchObject({ keyPrefix: 'ifg', store: { kind: 'memory' } });
  });

  it('keeps entries of the tier in front of Redis 2 s by default, within the memory bound', () => {
    const withRedis = { REDIS_URL: 'redis://cache:6379' };
    expect(load({ accounts: [restAccount] }, withRedis).cache.local).toEqual({
      ttlMs: 2_000,
      maxBytes: 64 * 1024 * 1024,
    });
    expect(
      load(
        { accounts: [restAccount] },
        { ...withRedis, CACHE_LOCAL_TTL_SECONDS: '0.5', CACHE_MEMORY_MAX_BYTES: '2048' },
      ).cache.local,
    ).toEqual({ ttlMs: 500, maxBytes: 2048 });
  });

  it('connects to Sentinel or Cluster over TLS with a password', () => {
    const tlsAndPassword = { REDIS_TLS: 'true', REDIS_PASSWORD: 'secret' };
    expect(
      load(
        { accounts: [restAccount] },
        { REDIS_SENTINELS: 'a:26379,b:26379', REDIS_SENTINEL_NAME: 'main', ...tlsAndPassword },
      ).cache.store,
    ).toMatchObject({
      kind: 'redis',
      connection: { mode: 'sentinel', tls: true, password: 'secret', sentinels: [{ host: 'a', port: 26379 }, {}] },
    });
    expect(
      load({ accounts: [restAccount] }, { REDIS_CLUSTER_NODES: 'a:65535', ...tlsAndPassword }).cache.store,
    ).toMatchObject({
      kind: 'redis',
      connection: { mode: 'cluster', tls: true, password: 'secret', nodes: [{ host: 'a', port: 65535 }] },
    });
  });

  it('sizes the render pool from RENDER_THREADS, by default every core but one and at most 4', () => {
    expect(load({ accounts: [restAccount] }).renderThreads).toBe(Math.min(4, Math.max(1, availableParallelism() - 1)));
    expect(load({ accounts: [restAccount] }, { RENDER_THREADS: '6' }).renderThreads).toBe(6);
  });

  it.each(['config/demo.json', 'config/compose.yaml', 'deploy/base/gateway.yaml'])(
    'loads %s, whose every setting is a known one',
    (path) => {
      // deploy/base/gateway.yaml reads its keys from the files of the pod's Secret volume: here,
      // files of the same names in the test's folder.
      for (const id of ['12345678', '12345679']) writeFileSync(join(folder, `INTERACT_APPLICATION_KEY_${id}`), id);
      const text = readFileSync(fileURLToPath(new URL(`../${path}`, import.meta.url)), 'utf8');
      const config = loadGatewayConfig({
        GATEWAY_CONFIG_FILE: accountsFile(text.replaceAll('/var/run/secrets/interact-flow-gateway/', `${folder}/`)),
        INTERACT_APPLICATION_KEY_12345678: 'k1',
        INTERACT_APPLICATION_KEY_12345679: 'k2',
      });
      expect(config.accounts.map(({ accountId }) => accountId)).toEqual(['12345678', '12345679']);
      expect(config.clients).toHaveLength(1);
    },
  );

  it('never repeats an application key in its messages', () => {
    try {
      load({ accounts: [{ ...restAccount, applicationKey: 'canary-secret-in-file' }] });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('canary-secret-in-file');
    }
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { flowCacheKey } from '../apps/gateway/src/cache/flow-cache.service.js';
import type { CacheConfig, GatewayAccount } from '../apps/gateway/src/config/gateway.config.js';
import { DEMO_IDS } from './support/simulator.js';
import { REST_ACCOUNT, SOAP_ACCOUNT, TEST_API_KEY, apiClient, demoAccounts, memoryCache } from './support/gateway.js';
import { SHARED_REDIS_URL, redisCache, uniquePrefix, useOwnRedis } from './support/redis.js';
import { useTestbed } from './support/testbed.js';
import { flowPath } from './support/paths.js';

const testbed = useTestbed();

const gateway = (cache: CacheConfig, accounts: Partial<GatewayAccount> = {}) => testbed.gateway({ cache }, accounts);

const upstreamCalls = async () => (await testbed.simulator.stats()).total;
/** Where the gateway stores the REST account's flow of an interaction, looked up without the wider search. */
const restFlowKey = (keyPrefix: string, interactionId: string) =>
  flowCacheKey(keyPrefix, demoAccounts(testbed.simulator)[0], {
    kind: 'interactionId',
    value: interactionId,
    widerSearch: false,
  });

const stores: Array<[string, (overrides?: Partial<CacheConfig>) => CacheConfig]> = [
  ['redis', (overrides) => redisCache(SHARED_REDIS_URL, overrides)],
  ['memory', (overrides) => memoryCache({ keyPrefix: uniquePrefix(), ...overrides })],
];

describe.each(stores)('cache on the %s store', (_store, cacheConfig) => {
  it('answers a miss from upstream, then hits without asking upstream again', async () => {
    const gw = await gateway(cacheConfig());
    const miss = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    expect(miss.headers['cache-status']).toBe('interact-flow-gateway; fwd=miss; ttl=300');
    expect(miss.headers['cache-control']).toBe('private, max-age=300');
    expect(miss.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    const hit = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    expect(hit.headers['cache-status']).toMatch(/^interact-flow-gateway; hit; ttl=(300|299)$/);
    expect(hit.headers['cache-control']).toMatch(/^private, max-age=(300|299)$/);
    expect(hit.headers.etag).toBe(miss.headers.etag);
    expect(hit.text).toBe(miss.text);
    expect(await upstreamCalls()).toBe(1);
  });

  it('checks every request for a warm entry as for a cold one: key, account, rate, input, validators', async () => {
    const clients = [
      apiClient('test', TEST_API_KEY, [REST_ACCOUNT, SOAP_ACCOUNT], 8),
      apiClient('soap-only', 'soap-key', [SOAP_ACCOUNT]),
    ];
    const limited = await testbed.gateway({ cache: cacheConfig(), clients });
    const path = flowPath(REST_ACCOUNT, DEMO_IDS.claim);
    const warm = await limited.http().get(path).expect(200);
    const hit = await limited.http().get(path).expect(200);
    expect(hit.headers['cache-status']).toContain('; hit;');
    expect(hit.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(hit.headers['content-security-policy']).toContain("default-src 'self'");
    expect(hit.headers['content-type']).toBe('application/json; charset=utf-8');
    await limited.http().get(path).set('Authorization', 'Bearer wrong').expect(401);
    await limited.http().get(path).set('Authorization', 'Bearer soap-key').expect(403);
    const badQuery = await limited.http().get(`${path}?widerSearch=yes`).expect(400);
    expect(badQuery.body.errors).toEqual([{ field: 'widerSearch', message: 'widerSearch must be "true" or "false"' }]);
    await limited.http().get(`${path}?extra=1`).expect(400);
    await limited.http().get(path).set('If-None-Match', warm.headers.etag).expect(304);
    await limited.http().get(path).set('Cache-Control', 'no-cache').expect(200);
    // Six of this client's requests count so far (the 401 and the 403 are not its own): two more, then 429.
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await limited.http().get(path)).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect(await upstreamCalls()).toBe(2);
  });

  it('keeps widerSearch, lookup kind and account apart', async () => {
    const gw = await gateway(cacheConfig());
    await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    await gw
      .http()
      .get(flowPath(REST_ACCOUNT, DEMO_IDS.claim, '?widerSearch=true'))
      .expect(200);
    await gw
      .http()
      .get(flowPath(REST_ACCOUNT, { callerAttribute: DEMO_IDS.claim }))
      .expect(404);
    await gw.http().get(flowPath(SOAP_ACCOUNT, DEMO_IDS.claim)).expect(200);
    const stats = await testbed.simulator.stats();
    expect(stats.rest.requests).toBe(3);
    expect(stats.soap.requests).toBe(1);
  });

  it('never serves one account the entry of another with the same interaction id', async () => {
    const gw = await gateway(cacheConfig());
    const rest = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    const soap = await gw.http().get(flowPath(SOAP_ACCOUNT, DEMO_IDS.claim)).expect(200);
    expect(rest.body.accountId).toBe(REST_ACCOUNT);
    expect(soap.body.accountId).toBe(SOAP_ACCOUNT);
    expect(soap.headers['cache-status']).toContain('fwd=miss');
  });

  it('expires an entry after the account TTL', async () => {
    // No stale windows: past its TTL the entry is gone, not served stale.
    const gw = await gateway(cacheConfig({ staleWhileRevalidateMs: 0, staleIfErrorMs: 0 }), { cacheTtlMs: 1_000 });
    await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    expect(await upstreamCalls()).toBe(1);
    await sleep(1_100);
    const again = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    expect(again.headers['cache-status']).toBe('interact-flow-gateway; fwd=miss; ttl=1');
    expect(await upstreamCalls()).toBe(2);
  });

  it('makes 100 concurrent cold requests in one replica cost one upstream call', async () => {
    const gw = await gateway(cacheConfig());
    await testbed.simulator.setFaults({ soap: { latencyMs: 200 } });
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => gw.http().get(flowPath(SOAP_ACCOUNT, DEMO_IDS.callback))),
    );
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect(new Set(responses.map((response) => response.text)).size).toBe(1);
    expect((await testbed.simulator.stats()).soap.requests).toBe(1);
  });

  it('serves a stale copy while refreshing it in the background, once', async () => {
    const gw = await gateway(cacheConfig({ staleWhileRevalidateMs: 30_000, staleIfErrorMs: 0 }), { cacheTtlMs: 1_000 });
    const first = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    await sleep(1_100);
    await testbed.simulator.setFaults({ rest: { latencyMs: 300 } });
    const started = performance.now();
    const stale = await Promise.all(
      Array.from({ length: 5 }, () => gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim))),
    );
    // Served from the cache, not after the slowed upstream.
    expect(performance.now() - started).toBeLessThan(300);
    for (const response of stale) {
      expect(response.status).toBe(200);
      expect(response.text).toBe(first.text);
      expect(response.headers['cache-status']).toMatch(/; fwd=stale; detail=stale-while-revalidate; ttl=-\d+$/);
      expect(response.headers['cache-control']).toBe('private, max-age=0');
    }
    await sleep(600);
    expect(await upstreamCalls()).toBe(2);
    const refreshed = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    expect(refreshed.headers['cache-status']).toContain('; hit;');
  });

  it('serves a stale copy when upstream fails or times out', async () => {
    const gw = await gateway(cacheConfig({ staleWhileRevalidateMs: 0, staleIfErrorMs: 60_000 }), {
      cacheTtlMs: 1_000,
      timeoutMs: 300,
    });
    const first = await gw.http().get(flowPath(SOAP_ACCOUNT, DEMO_IDS.claim)).expect(200);
    await sleep(1_100);
    await testbed.simulator.setFaults({ soap: { errorRate: 1 } });
    const failed = await gw.http().get(flowPath(SOAP_ACCOUNT, DEMO_IDS.claim)).expect(200);
    expect(failed.text).toBe(first.text);
    expect(failed.headers['cache-status']).toMatch(/; fwd=stale; fwd-status=502; detail=stale-if-error; ttl=-\d+$/);
    await testbed.simulator.setFaults({ soap: { errorRate: 0, latencyMs: 2_000 } });
    const slow = await gw.http().get(flowPath(SOAP_ACCOUNT, DEMO_IDS.claim)).expect(200);
    expect(slow.headers['cache-status']).toContain('fwd-status=504; detail=stale-if-error');
    await testbed.simulator.reset();
    const recovered = await gw.http().get(flowPath(SOAP_ACCOUNT, DEMO_IDS.claim)).expect(200);
    expect(recovered.headers['cache-status']).toContain('fwd=stale; fwd-status=200; ttl=');
  });

  it('fails as usual when upstream fails and nothing is cached', async () => {
    const gw = await gateway(cacheConfig());
    await testbed.simulator.setFaults({ rest: { errorRate: 1 } });
    const response = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(502);
    expect(response.headers['cache-status']).toBe('interact-flow-gateway; fwd=miss');
  });

  it('caches interaction-not-found for the negative TTL', async () => {
    const gw = await gateway(cacheConfig({ negativeTtlMs: 1_000 }));
    const first = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.notFound)).expect(404);
    const second = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.notFound)).expect(404);
    expect(second.body.detail).toBe(first.body.detail);
    expect(second.body.type).toBe('/problems/interaction-not-found');
    expect(second.headers['cache-status']).toMatch(/; hit; ttl=1$/);
    expect(await upstreamCalls()).toBe(1);
    await sleep(1_100);
    await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.notFound)).expect(404);
    expect(await upstreamCalls()).toBe(2);
  });

  it('caches an empty history like any other', async () => {
    const gw = await gateway(cacheConfig());
    await gw.http().get(flowPath(SOAP_ACCOUNT, DEMO_IDS.empty)).expect(200);
    const hit = await gw.http().get(flowPath(SOAP_ACCOUNT, DEMO_IDS.empty)).expect(200);
    expect(hit.body.pages).toEqual([]);
    expect(hit.headers['cache-status']).toContain('; hit;');
    expect(await upstreamCalls()).toBe(1);
  });

  it('answers 304 to a matching If-None-Match, weak or strong, and 200 otherwise', async () => {
    const gw = await gateway(cacheConfig());
    const { headers } = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    for (const tag of [headers.etag, `W/${headers.etag}`, `"other", ${headers.etag}`, '*']) {
      const notModified = await gw
        .http()
        .get(flowPath(REST_ACCOUNT, DEMO_IDS.claim))
        .set('If-None-Match', tag)
        .expect(304);
      expect(notModified.text).toBe('');
      expect(notModified.headers.etag).toBe(headers.etag);
      expect(notModified.headers['cache-status']).toContain('; hit;');
    }
    await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).set('If-None-Match', '"stale-tag"').expect(200);
  });

  it('goes upstream for Cache-Control: no-cache and refreshes the entry', async () => {
    const gw = await gateway(cacheConfig());
    await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    const forced = await gw
      .http()
      .get(flowPath(REST_ACCOUNT, DEMO_IDS.claim))
      .set('Cache-Control', 'no-cache')
      .expect(200);
    expect(forced.headers['cache-status']).toBe('interact-flow-gateway; fwd=request; ttl=300');
    expect(await upstreamCalls()).toBe(2);
    const after = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    expect(after.headers['cache-status']).toContain('; hit;');
    expect(await upstreamCalls()).toBe(2);
  });
  it('takes Pragma: no-cache only from a request without Cache-Control', async () => {
    const gw = await gateway(cacheConfig());
    const path = flowPath(REST_ACCOUNT, DEMO_IDS.claim);
    await gw.http().get(path).expect(200);
    const forced = await gw.http().get(path).set('Pragma', 'No-Cache').expect(200);
    expect(forced.headers['cache-status']).toBe('interact-flow-gateway; fwd=request; ttl=300');
    const overridden = await gw
      .http()
      .get(path)
      .set('Pragma', 'no-cache')
      .set('Cache-Control', 'max-age=60')
      .expect(200);
    expect(overridden.headers['cache-status']).toContain('; hit;');
    expect(await upstreamCalls()).toBe(2);
  });
});

describe('cache shared by replicas through Redis', () => {
  it('makes 100 concurrent cold requests over two gateway instances cost one upstream call', async () => {
    const shared = redisCache();
    const [a, b] = [await gateway(shared), await gateway(shared)];
    await testbed.simulator.setFaults({ rest: { latencyMs: 300 } });
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim))),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(100).fill(200));
    expect(new Set(responses.map((response) => response.text)).size).toBe(1);
    expect((await testbed.simulator.stats()).rest.requests).toBe(1);
  });

  it('answers replicas waiting on a failed call with its failure, without calling upstream again', async () => {
    const shared = redisCache();
    const [a, b] = [await gateway(shared), await gateway(shared)];
    await testbed.simulator.setFaults({ rest: { latencyMs: 300, errorRate: 1 } });
    const path = flowPath(REST_ACCOUNT, DEMO_IDS.claim);
    // b asks while a holds the lock, its call to upstream under way.
    const [first, second] = await Promise.all([a.http().get(path), sleep(100).then(() => b.http().get(path))]);
    expect([first.status, second.status]).toEqual([502, 502]);
    expect(second.body.type).toBe('/problems/upstream-error');
    expect(await upstreamCalls()).toBe(1);
  });

  it('lets a replica waiting on a failed refresh answer at once with its stale copy', async () => {
    const shared = { ...redisCache(), staleWhileRevalidateMs: 0, staleIfErrorMs: 60_000 };
    const [a, b] = [await gateway(shared, { cacheTtlMs: 500 }), await gateway(shared, { cacheTtlMs: 500 })];
    const path = flowPath(REST_ACCOUNT, DEMO_IDS.claim);
    await a.http().get(path).expect(200);
    await sleep(700);
    await testbed.simulator.setFaults({ rest: { latencyMs: 300, errorRate: 1 } });
    const [first, second] = await Promise.all([a.http().get(path), sleep(100).then(() => b.http().get(path))]);
    for (const response of [first, second]) {
      expect(response.status).toBe(200);
      expect(response.headers['cache-status']).toContain('detail=stale-if-error');
    }
    expect(await upstreamCalls()).toBe(2);
  });

  it('lets waiting replicas go ahead once a lock holder has given up', async () => {
    const shared = redisCache();
    const redis = new Redis(SHARED_REDIS_URL);
    try {
      const [a] = [await gateway(shared, { timeoutMs: 500 })];
      // A replica that died holding the lock: nobody will ever release it; its TTL ends it.
      const key = restFlowKey(shared.keyPrefix, DEMO_IDS.claim);
      await redis.set(`{${key}}:lock`, 'dead-replica', 'PX', 1_000);
      const started = performance.now();
      await a.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThanOrEqual(900);
      expect(waited).toBeLessThan(2_500);
      expect(await upstreamCalls()).toBe(1);
    } finally {
      redis.disconnect();
    }
  });

  it('stores large histories compressed', async () => {
    const shared = redisCache();
    const redis = new Redis(SHARED_REDIS_URL);
    try {
      const gw = await gateway(shared);
      const response = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.big)).expect(200);
      // The answer goes out before its entry is written.
      await gw.app.get((await import('../apps/gateway/src/cache/flow-cache.service.js')).FlowCacheService).settled();
      const key = restFlowKey(shared.keyPrefix, DEMO_IDS.big);
      const raw = await redis.getBuffer(key);
      expect(raw?.readUInt8(1)).toBe(1);
      expect(raw!.length).toBeLessThan(Buffer.byteLength(response.text) / 4);
      const hit = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.big)).expect(200);
      expect(hit.text).toBe(response.text);
    } finally {
      redis.disconnect();
    }
  });

  it('treats an entry it cannot read as a miss', async () => {
    const shared = redisCache();
    const redis = new Redis(SHARED_REDIS_URL);
    try {
      const gw = await gateway(shared);
      const key = restFlowKey(shared.keyPrefix, DEMO_IDS.claim);
      await redis.set(key, 'not an entry', 'PX', 60_000);
      const response = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
      expect(response.headers['cache-status']).toContain('; fwd=miss; ttl=');
      expect(
        (await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200)).headers['cache-status'],
      ).toContain('; hit;');
    } finally {
      redis.disconnect();
    }
  });
});

describe('a Redis that freezes, dies and comes back', () => {
  const redis = useOwnRedis();

  /** A gateway on this Redis with one flow cached, and its cache service. */
  const warmGateway = async (commandTimeoutMs: number) => {
    const cache = redisCache(redis.url, {
      store: { kind: 'redis', connection: { mode: 'standalone', url: redis.url }, commandTimeoutMs },
    });
    const gw = await gateway(cache);
    const flowService = gw.app.get((await import('../apps/gateway/src/cache/flow-cache.service.js')).FlowCacheService);
    await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    return { gw, flowService, keyPrefix: cache.keyPrefix };
  };

  it('answers every request within the command timeout plus the upstream time, and reconnects', async () => {
    const { gw } = await warmGateway(200);
    expect((await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200)).headers['cache-status']).toContain(
      '; hit;',
    );

    const timed = async (id: string) => {
      const started = performance.now();
      const response = await gw.http().get(flowPath(REST_ACCOUNT, id));
      return { response, ms: performance.now() - started };
    };

    redis.freeze();
    for (const id of [DEMO_IDS.claim, DEMO_IDS.callback]) {
      const { response, ms } = await timed(id);
      expect(response.status).toBe(200);
      expect(response.headers['cache-status']).toContain('fwd=miss; detail=cache-unavailable');
      // Command timeout (read, then lock) plus a quick upstream: nowhere near ioredis' default minutes.
      expect(ms).toBeLessThan(1_500);
    }

    await redis.kill();
    const afterDeath = await timed(DEMO_IDS.claim);
    expect(afterDeath.response.status).toBe(200);
    expect(afterDeath.ms).toBeLessThan(1_000);
    // As readiness reports the store: what an operator sees.
    const storeUp = async () => (await gw.admin().get('/health/ready').expect(200)).body.details.cache.state === 'up';
    expect(await storeUp()).toBe(false);

    await redis.start();
    for (let attempt = 0; attempt < 50 && !(await storeUp()); attempt += 1) await sleep(100);
    expect(await storeUp()).toBe(true);
    await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    const hit = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    expect(hit.headers['cache-status']).toContain('; hit;');
  });

  it('answers a forced refresh before writing its entry, serves it meanwhile, and writes it once Redis answers', async () => {
    const { gw, flowService, keyPrefix } = await warmGateway(1_000);
    const client = new Redis(redis.url);
    const id = DEMO_IDS.callback;
    redis.freeze();
    try {
      // A forced refresh reads nothing; its lock times out, and it goes upstream on its own.
      const response = await gw.http().get(flowPath(REST_ACCOUNT, id)).set('cache-control', 'no-cache');
      expect(response.status).toBe(200);
      expect(response.headers['cache-status']).toBe('interact-flow-gateway; fwd=request; ttl=300');
      let written = false;
      const settled = flowService.settled().then(() => (written = true));
      await sleep(50);
      expect(written).toBe(false);
      const meanwhile = await gw.http().get(flowPath(REST_ACCOUNT, id)).expect(200);
      expect(meanwhile.headers['cache-status']).toContain('; hit;');
      expect(meanwhile.text).toBe(response.text);
      redis.thaw();
      await settled;
      expect(await client.exists(restFlowKey(keyPrefix, id))).toBe(1);
    } finally {
      redis.thaw();
      client.disconnect();
    }
    expect(await upstreamCalls()).toBe(2);
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MemoryStore, RedisStore, type SharedStore } from '@app/cache';
import { DEMO_IDS } from './support/simulator.js';
import { REST_ACCOUNT, SOAP_ACCOUNT, TEST_API_KEY, apiClient, defaultResilience } from './support/gateway.js';
import { GatewayProcess } from './support/gateway-process.js';
import { OwnRedis, SHARED_REDIS_URL, redisCache, uniquePrefix } from './support/redis.js';
import { useTestbed } from './support/testbed.js';
import { flowPath } from './support/paths.js';
import { FlowCacheService } from '../apps/gateway/src/cache/flow-cache.service.js';

const testbed = useTestbed();

const upstreamCalls = async () => (await testbed.simulator.stats()).total;
const OTHER_KEY = 'other-client-key';
const twoClients = [
  apiClient('test', TEST_API_KEY, [REST_ACCOUNT, SOAP_ACCOUNT]),
  apiClient('other', OTHER_KEY, [REST_ACCOUNT, SOAP_ACCOUNT]),
];

describe('one upstream call per key, whatever the caller asks', () => {
  it('makes 300 concurrent no-cache requests over two replicas cost one upstream call, and other clients go on', async () => {
    const shared = redisCache();
    // A bulkhead that 300 calls would overflow many times over.
    const accounts = { resilience: defaultResilience({ bulkheadMaxConcurrent: 4, bulkheadMaxQueue: 4 }) };
    const a = await testbed.gateway({ cache: shared, clients: twoClients }, accounts);
    const b = await testbed.gateway({ cache: shared, clients: twoClients }, accounts);
    await testbed.simulator.setFaults({ rest: { latencyMs: 1_500 } });
    const herd = Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        (i % 2 ? a : b).http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).set('Cache-Control', 'no-cache'),
      ),
    );
    // Meanwhile another client looks up other histories on the same account, on both replicas.
    const others = Promise.all(
      [DEMO_IDS.callback, DEMO_IDS.empty].flatMap((id) =>
        [a, b].map((gw) => gw.http().get(flowPath(REST_ACCOUNT, id)).set('Authorization', `Bearer ${OTHER_KEY}`)),
      ),
    );
    const [responses, otherResponses] = await Promise.all([herd, others]);
    expect(responses.map((response) => response.status)).toEqual(Array(300).fill(200));
    expect(new Set(responses.map((response) => response.headers.etag)).size).toBe(1);
    expect(responses.every((response) => response.headers['cache-status'].includes('fwd=request'))).toBe(true);
    expect(otherResponses.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    const stats = await testbed.simulator.stats();
    // The herd's one call, and the other client's two keys, each loaded once across both replicas.
    expect(stats.rest.requests).toBe(3);
  });

  it('answers a no-cache request with a call that ends after it arrived, never with the stored entry', async () => {
    const shared = redisCache();
    const a = await testbed.gateway({ cache: shared });
    const b = await testbed.gateway({ cache: shared });
    const path = flowPath(REST_ACCOUNT, DEMO_IDS.claim);
    await a.http().get(path).expect(200);
    await testbed.simulator.setFaults({ rest: { latencyMs: 1_000 } });
    // b forces a refresh, then a forces one while b's call is under way: a waits for b's call.
    const [first, second] = await Promise.all([
      b.http().get(path).set('Cache-Control', 'no-cache'),
      new Promise((resolve) => setTimeout(resolve, 200)).then(() =>
        a.http().get(path).set('Cache-Control', 'no-cache'),
      ),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.headers['cache-status']).toContain('fwd=request');
    expect(await testbed.simulator.stats().then((stats) => stats.rest.requests)).toBe(2);
    // And once that call is over, a new no-cache request makes a new one.
    await a.http().get(path).set('Cache-Control', 'no-cache').expect(200);
    expect(await testbed.simulator.stats().then((stats) => stats.rest.requests)).toBe(3);
  });

  it("gives each client its share of the account's bulkhead, so that one client's misses cannot refuse another's", async () => {
    // Four places, two clients: two each.
    const gw = await testbed.gateway(
      { clients: twoClients },
      { resilience: defaultResilience({ bulkheadMaxConcurrent: 2, bulkheadMaxQueue: 2 }) },
    );
    await testbed.simulator.setFaults({ rest: { latencyMs: 500 } });
    // Ten histories nobody asked for before: ten misses, each a call.
    const flood = Promise.all(
      Array.from({ length: 10 }, (_, i) => gw.http().get(flowPath(REST_ACCOUNT, `unknown-${i}`))),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const others = await Promise.all(
      [DEMO_IDS.callback, DEMO_IDS.empty].map((id) =>
        gw.http().get(flowPath(REST_ACCOUNT, id)).set('Authorization', `Bearer ${OTHER_KEY}`),
      ),
    );
    expect(others.map((response) => response.status)).toEqual([200, 200]);
    const flooded = await flood;
    const refused = flooded.filter((response) => response.status === 503);
    expect(refused).toHaveLength(8);
    expect(refused[0].body.detail).toBe(
      `Too many of this client's calls to Interact are waiting for account ${REST_ACCOUNT}. Retry in 1 s.`,
    );
    expect(refused[0].headers['retry-after']).toBe('1');
    const metrics = await gw.admin().get('/metrics').expect(200);
    expect(metrics.text).toContain(
      `interact_refusals_total{account="${REST_ACCOUNT}",operation="flow",reason="client_share_full"} 8`,
    );
  });
});

describe('bounded waits', () => {
  it("counts time queued in the account's bulkhead against the deadline", async () => {
    const gw = await testbed.gateway(
      {},
      {
        timeoutMs: 1_000,
        resilience: defaultResilience({ retryDeadlineMs: 1_500, bulkheadMaxConcurrent: 1, bulkheadMaxQueue: 10 }),
      },
    );
    // Slow but healthy: each call answers within the account's timeout, one at a time.
    await testbed.simulator.setFaults({ rest: { latencyMs: 900 } });
    const started = performance.now();
    const responses = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        gw
          .http()
          .get(flowPath(REST_ACCOUNT, `unknown-${i}`))
          .then((response) => ({ response, ms: performance.now() - started })),
      ),
    );
    const statuses = responses.map(({ response }) => response.status).sort();
    // The first is answered; the others reach their deadline queued or cut off in flight, all at
    // 1.5 s, where queueing alone would have answered them one by one up to 3.6 s.
    expect(statuses).toEqual([404, 504, 504, 504]);
    for (const { response, ms } of responses) {
      expect(ms).toBeLessThan(2_300);
      if (response.status === 504) expect(response.body.type).toBe('/problems/upstream-timeout');
    }
  });
});

describe("the replicas' lock, a lease its holder renews", () => {
  it.each([
    [
      'redis',
      () => new RedisStore({ connection: { mode: 'standalone', url: SHARED_REDIS_URL }, commandTimeoutMs: 250 }),
    ],
    ['memory', () => new MemoryStore(1024)],
  ] as Array<[string, () => SharedStore]>)('is renewed on the %s store by its holder alone', async (_name, create) => {
    const store = create();
    const key = uniquePrefix();
    try {
      expect(await store.waitUntilUp(3_000)).toBe(true);
      const token = (await store.tryLock(key, 300))!;
      expect(token).toBeTruthy();
      expect(await store.renewLock(key, 'someone else', 60_000)).toBe(false);
      expect(await store.renewLock(key, token, 1_000)).toBe(true);
      await sleep(500);
      // Past the first 300 ms, held by the renewal; then gone once it lapses.
      expect(await store.isLocked(key)).toBe(true);
      await sleep(700);
      expect(await store.isLocked(key)).toBe(false);
      expect(await store.renewLock(key, token, 1_000)).toBe(false);
      expect(await store.isLocked(key)).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('stays with a holder whose call outlasts the lease, so that the others wait for its answer', async () => {
    const shared = redisCache();
    const accounts = { timeoutMs: 8_000 };
    const a = await testbed.gateway({ cache: shared }, accounts);
    const b = await testbed.gateway({ cache: shared }, accounts);
    // Longer than the 3 s lease: only its renewals keep b from calling too.
    await testbed.simulator.setFaults({ rest: { latencyMs: 4_500 } });
    const path = flowPath(REST_ACCOUNT, DEMO_IDS.claim);
    const [first, second] = await Promise.all([a.http().get(path), sleep(300).then(() => b.http().get(path))]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect((await testbed.simulator.stats()).rest.requests).toBe(1);
  });

  it('passes to a waiting replica within seconds of its holder being killed mid-call', async () => {
    const env = { REDIS_URL: SHARED_REDIS_URL, CACHE_KEY_PREFIX: uniquePrefix(), LOG_LEVEL: 'warn' };
    const holder = new GatewayProcess();
    const waiter = new GatewayProcess();
    try {
      await Promise.all([holder.start(testbed.simulator, env), waiter.start(testbed.simulator, env)]);
      await testbed.simulator.setFaults({ rest: { latencyMs: 20_000 } });
      const path = flowPath(REST_ACCOUNT, DEMO_IDS.claim);
      const headers = { authorization: `Bearer ${TEST_API_KEY}` };
      void fetch(`${holder.url}${path}`, { headers }).catch(() => undefined);
      while ((await testbed.simulator.stats()).rest.requests < 1) await sleep(20);
      const waiting = waiter.fetch(path, { headers });
      // The waiter finds the lock held, and waits on it.
      await sleep(500);
      expect((await testbed.simulator.stats()).rest.requests).toBe(1);
      await holder.stop();
      const killedAt = performance.now();
      await testbed.simulator.setFaults({ rest: { latencyMs: 0 } });
      const answer = await waiting;
      const tookOverInMs = performance.now() - killedAt;
      expect(answer.status).toBe(200);
      // The lease (3 s) and a poll, not the old lock's TTL of the deadline plus 2 s (22 s here).
      expect(tookOverInMs).toBeLessThan(4_500);
      expect((await testbed.simulator.stats()).rest.requests).toBe(2);
    } finally {
      await Promise.all([holder.stop(), waiter.stop()]);
    }
  });
});

describe('the local tier in front of Redis', () => {
  it('serves hits with the ETag from Redis, and one upstream call per key and lifetime while Redis is dead', async () => {
    const redis = await OwnRedis.launch();
    try {
      const shared = redisCache(redis.url);
      const withTier = { ...shared, local: { ttlMs: 3_000, maxBytes: 1024 * 1024 } };
      const writer = await testbed.gateway({ cache: shared });
      const gw = await testbed.gateway({ cache: withTier });
      const path = flowPath(REST_ACCOUNT, DEMO_IDS.claim);
      const stored = await writer.http().get(path).expect(200);
      await writer.app.get(FlowCacheService).settled();
      const fromRedis = await gw.http().get(path).expect(200);
      expect(fromRedis.headers['cache-status']).toContain('; hit;');
      expect(fromRedis.headers.etag).toBe(stored.headers.etag);
      // A no-cache request goes upstream whatever the tier holds.
      await gw.http().get(path).set('Cache-Control', 'no-cache').expect(200);
      expect(await upstreamCalls()).toBe(2);

      await redis.kill();
      for (let i = 0; i < 10; i += 1) {
        const hit = await gw.http().get(path).expect(200);
        expect(hit.headers['cache-status']).toContain('; hit;');
        expect(hit.headers.etag).toBe(stored.headers.etag);
        expect(hit.text).toBe(stored.text);
      }
      // Never cached before Redis died: one call, then hits on the fast path; and a not-found,
      // which the controller answers, alike.
      const other = flowPath(REST_ACCOUNT, DEMO_IDS.callback);
      const missing = flowPath(REST_ACCOUNT, DEMO_IDS.notFound);
      for (let i = 0; i < 5; i += 1) {
        await gw.http().get(other).expect(200);
        const notFound = await gw.http().get(missing).expect(404);
        if (i > 0) expect(notFound.headers['cache-status']).toContain('; hit;');
      }
      expect(await upstreamCalls()).toBe(4);
      // Short-lived: past its lifetime, the entry is fetched again.
      await sleep(3_100);
      await gw.http().get(other).expect(200);
      expect(await upstreamCalls()).toBe(5);
    } finally {
      await redis.kill();
    }
  });
});

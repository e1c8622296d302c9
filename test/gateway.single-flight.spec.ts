import { describe, expect, it } from 'vitest';
import { DEMO_IDS } from './support/simulator.js';
import { REST_ACCOUNT, SOAP_ACCOUNT, TEST_API_KEY, apiClient, defaultResilience } from './support/gateway.js';
import { redisCache } from './support/redis.js';
import { useTestbed } from './support/testbed.js';

const testbed = useTestbed();

const flowPath = (account: string, id: string) => `/v1/accounts/${account}/interactions/${id}/flow`;
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
    const metrics = await gw.http().get('/metrics').expect(200);
    expect(metrics.text).toContain(`interact_refusals_total{account="${REST_ACCOUNT}",reason="client_share_full"} 8`);
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

import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisStore } from '@app/cache';
import { RateLimiter } from '../apps/gateway/src/auth/rate-limiter.js';
import type { GatewayConfig } from '../apps/gateway/src/config/gateway.config.js';
import { DEMO_IDS } from './support/simulator.js';
import { REST_ACCOUNT, SOAP_ACCOUNT, apiClient, type RunningGateway } from './support/gateway.js';
import { SHARED_REDIS_URL, redisCache } from './support/redis.js';
import { useTestbed } from './support/testbed.js';
import { flowPath } from './support/paths.js';

const testbed = useTestbed();

const gateway = (config: Partial<GatewayConfig> = {}) =>
  testbed.gateway({
    clients: [
      apiClient('desk', 'desk-key', [REST_ACCOUNT]),
      apiClient('reports', 'reports-key', [REST_ACCOUNT, SOAP_ACCOUNT]),
    ],
    ...config,
  });

const REST_CLAIM = flowPath(REST_ACCOUNT, DEMO_IDS.claim);
const SOAP_CLAIM = flowPath(SOAP_ACCOUNT, DEMO_IDS.claim);
// Without a key, anonymous(): http() sends the test client's.
const as = (gw: RunningGateway, key?: string) => ({
  get: (path: string) => (key === undefined ? gw.anonymous().get(path) : gw.http().get(path).set('Authorization', key)),
});

describe('client authentication', () => {
  it('answers a request without a key with 401, WWW-Authenticate, and no upstream call', async () => {
    const gw = await gateway();
    const response = await as(gw).get(REST_CLAIM).expect(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="interact-flow-gateway"');
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: '/problems/unauthorized', title: 'An API key is needed', status: 401 });
    expect((await testbed.simulator.stats()).total).toBe(0);
  });

  it.each([
    ['a wrong key', 'Bearer wrong-key'],
    ['a key of another scheme', 'Basic ZGVzay1rZXk6'],
    ['a key with spaces', 'Bearer desk key'],
    ['an empty bearer', 'Bearer '],
    ['a lower-case scheme with a wrong key', 'bearer nope'],
  ])('answers %s with 401', async (_case, header) => {
    const gw = await gateway();
    const response = await as(gw, header).get(REST_CLAIM).expect(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="interact-flow-gateway"/);
    expect(response.text).not.toContain(header.split(' ')[1] || 'never');
    expect((await testbed.simulator.stats()).total).toBe(0);
  });

  it('says when a key was given but is not valid', async () => {
    const gw = await gateway();
    const response = await as(gw, 'Bearer wrong-key').get(REST_CLAIM).expect(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="interact-flow-gateway", error="invalid_token"');
    expect(response.body).toMatchObject({
      type: '/problems/invalid-api-key',
      title: 'The API key is not valid',
      status: 401,
    });
    // A key that matched once is remembered: keys next to it must still be refused.
    await as(gw, 'Bearer desk-key').get(REST_CLAIM).expect(200);
    for (const near of ['Bearer desk-ke', 'Bearer desk-keyy', 'Bearer DESK-KEY']) {
      await as(gw, near).get(REST_CLAIM).expect(401);
    }
  });

  it('lets a client read its accounts and answers 403 for another configured account', async () => {
    const gw = await gateway();
    await as(gw, 'Bearer desk-key').get(REST_CLAIM).expect(200);
    const denied = await as(gw, 'Bearer desk-key').get(SOAP_CLAIM).expect(403);
    expect(denied.body).toMatchObject({
      type: '/problems/forbidden',
      status: 403,
      detail: 'Client desk may not read this account.',
    });
    expect((await testbed.simulator.stats()).soap.requests).toBe(0);
    await as(gw, 'Bearer reports-key').get(SOAP_CLAIM).expect(200);
  });

  it('keeps probes, metrics and problem pages open, and the docs unless switched off', async () => {
    const gw = await gateway();
    await gw.admin().get('/health/live').expect(200);
    await gw.admin().get('/health/ready').expect(200);
    await gw.admin().get('/metrics').expect(200);
    await as(gw).get('/problems/unauthorized').expect(200);
    await as(gw).get('/docs/openapi.json').expect(200);
    const closed = await gateway({ docsEnabled: false });
    await as(closed).get('/docs').expect(404);
    await as(closed).get('/docs/openapi.json').expect(404);
  });

  it('serves probes and metrics on the admin port alone, and the API, its docs and problem pages on the API port alone', async () => {
    const gw = await gateway();
    for (const path of ['/health/live', '/health/ready', '/metrics']) {
      // With a key or without: the API port has no such route.
      await as(gw).get(path).expect(404);
      const answer = await as(gw, 'Bearer desk-key').get(path).expect(404);
      expect(answer.text).not.toContain(REST_ACCOUNT);
      expect(answer.text).not.toContain('circuit');
    }
    for (const path of [REST_CLAIM, '/docs', '/docs/openapi.json', '/problems/unauthorized'])
      await gw.admin().get(path).set('Authorization', 'Bearer desk-key').expect(404);
  });

  it('declares the bearer scheme in the OpenAPI document for the flow operations', async () => {
    const gw = await gateway();
    const document = (await as(gw).get('/docs/openapi.json').expect(200)).body;
    expect(document.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.paths['/v1/accounts/{accountId}/interactions/{interactionId}/flow'].get.security).toEqual([
      { apiKey: [] },
    ]);
    expect(document.paths['/problems/{slug}'].get.security).toEqual([]);
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After once a client used up its minute, without touching other clients', async () => {
    const gw = await gateway({
      clients: [
        apiClient('desk', 'desk-key', [REST_ACCOUNT], 3),
        apiClient('reports', 'reports-key', [REST_ACCOUNT], 3),
      ],
    });
    for (let i = 0; i < 3; i += 1) await as(gw, 'Bearer desk-key').get(REST_CLAIM).expect(200);
    const limited = await as(gw, 'Bearer desk-key').get(REST_CLAIM).expect(429);
    expect(limited.body).toMatchObject({ type: '/problems/rate-limited', status: 429 });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    await as(gw, 'Bearer reports-key').get(REST_CLAIM).expect(200);
    await gw.admin().get('/health/ready').expect(200);
  });

  it('shares one limit across replicas through Redis', async () => {
    const cache = redisCache();
    const clients = [apiClient('desk', 'desk-key', [REST_ACCOUNT], 4)];
    const [a, b] = [await gateway({ cache, clients }), await gateway({ cache, clients })];
    const statuses = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await as(i % 2 ? a : b, 'Bearer desk-key').get(REST_CLAIM)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it('holds the limit exactly for a burst spread over replicas that know the client', async () => {
    const { keyPrefix } = redisCache();
    const client = apiClient('burst', 'burst-key', [REST_ACCOUNT], 600);
    const stores = [0, 1].map(
      () => new RedisStore({ connection: { mode: 'standalone', url: SHARED_REDIS_URL }, commandTimeoutMs: 1_000 }),
    );
    try {
      for (const store of stores) expect(await store.waitUntilUp(2_000)).toBe(true);
      const replicas = stores.map((store) => new RateLimiter(store, keyPrefix));
      // Each has admitted the client this minute, so each knows the count is far from the limit.
      for (const replica of replicas) expect(await replica.admit(client)).toBeUndefined();
      // A thousand requests on each, all arriving before any answer from Redis.
      const answers = await Promise.all(
        Array.from({ length: 2_000 }, (_, i) => {
          const replica = replicas[i % 2];
          return replica.admitReserved(client) ? undefined : replica.admit(client);
        }),
      );
      expect(answers.filter((retryAfter) => retryAfter === undefined)).toHaveLength(598);
      expect(answers.filter((retryAfter) => typeof retryAfter === 'number' && retryAfter >= 1)).toHaveLength(1_402);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('reserves requests far from a client’s limit in batches, each a twentieth of what is left', async () => {
    const cache = redisCache();
    const clients = [apiClient('busy', 'busy-key', [REST_ACCOUNT], 100_000)];
    const [a, b] = [await gateway({ cache, clients }), await gateway({ cache, clients })];
    const redis = new Redis(SHARED_REDIS_URL);
    try {
      const statuses = await Promise.all(
        Array.from({ length: 120 }, (_, i) => as(i % 2 ? a : b, 'Bearer busy-key').get(REST_CLAIM)),
      );
      expect(statuses.every((response) => response.status === 200)).toBe(true);
      // Each replica reserved one request to learn the count, then a batch that covered the rest:
      // every request admitted was reserved first, in a handful of round trips rather than 120.
      const reserved = Number(await redis.get(`${cache.keyPrefix}:rate:busy`));
      expect(reserved).toBeGreaterThanOrEqual(120);
      expect(reserved).toBeLessThanOrEqual(2 + 2 * (100_000 / 20));
      expect(await redis.pttl(`${cache.keyPrefix}:rate:busy`)).toBeGreaterThan(55_000);
    } finally {
      redis.disconnect();
    }
  });
});

describe('response headers', () => {
  it('sends the standard security headers, with a CSP that lets Swagger UI load', async () => {
    const gw = await gateway();
    for (const path of [REST_CLAIM, '/docs', '/nowhere']) {
      const response = await as(gw, 'Bearer desk-key').get(path);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(response.headers['content-security-policy']).toContain("default-src 'self'");
      expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(response.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    }
    // Only Swagger UI's page may show images from blob: URLs, which its Try it out makes of a photo.
    const imageSources = async (path: string) =>
      /img-src ([^;]*)/.exec((await as(gw, 'Bearer desk-key').get(path)).headers['content-security-policy'])?.[1];
    expect(await imageSources('/docs')).toBe("'self' data: blob:");
    for (const path of [REST_CLAIM, '/nowhere', '/docsx']) expect(await imageSources(path)).toBe("'self' data:");
    const ui = await as(gw).get('/docs').expect(200);
    // Every script Swagger UI needs comes from the gateway itself, which the CSP allows.
    for (const [, src] of ui.text.matchAll(/<script[^>]*src="([^"]+)"/g)) {
      expect(src.startsWith('http')).toBe(false);
      await as(gw)
        .get(new URL(src, `${gw.url}/docs`).pathname)
        .expect(200);
    }
    expect(ui.text).not.toMatch(/<script>(?!\s*<\/script>)/);
  });

  it('sends no CORS headers unless origins are configured', async () => {
    const closed = await gateway();
    const plain = await as(closed, 'Bearer desk-key').get(REST_CLAIM).set('Origin', 'https://evil.example');
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    const open = await gateway({ corsOrigins: ['https://desk.example'] });
    const allowed = await as(open, 'Bearer desk-key').get(REST_CLAIM).set('Origin', 'https://desk.example');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://desk.example');
    expect(allowed.headers['access-control-expose-headers']).toContain('Cache-Status');
    expect(allowed.headers['access-control-expose-headers']).toContain('RateLimit, RateLimit-Policy');
    const other = await as(open, 'Bearer desk-key').get(REST_CLAIM).set('Origin', 'https://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

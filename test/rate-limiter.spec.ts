import { Test, type TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SharedStore } from '@app/cache';
import { AuthModule } from '../apps/gateway/src/auth/auth.module.js';
import { RateLimiter } from '../apps/gateway/src/auth/rate-limiter.js';
import { CACHE_STORE } from '../apps/gateway/src/cache/cache.tokens.js';
import { GatewayConfigModule } from '../apps/gateway/src/config/gateway-config.module.js';
import type { ApiClient, CacheConfig, GatewayConfig } from '../apps/gateway/src/config/gateway.config.js';
import { MetricsModule } from '../apps/gateway/src/metrics/metrics.module.js';
import { REST_ACCOUNT, apiClient, memoryCache } from './support/gateway.js';
import { SHARED_REDIS_URL, freePort, redisCache } from './support/redis.js';

const modules: TestingModule[] = [];

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
});

/** The rate limiter as the auth module provides it, on the store the cache module makes of `cache`. */
async function limiterOn(cache: CacheConfig): Promise<{ limiter: RateLimiter; store: SharedStore }> {
  const config = { accounts: [], clients: [], cache } as unknown as GatewayConfig;
  const moduleRef = await Test.createTestingModule({
    imports: [GatewayConfigModule.forConfig(config), MetricsModule, AuthModule],
  }).compile();
  modules.push(moduleRef);
  return { limiter: moduleRef.get(RateLimiter), store: moduleRef.get<SharedStore>(CACHE_STORE) };
}

/** As the auth hook asks: from this replica's reservation when it can, else from the shared count. */
const admit = (limiter: RateLimiter, client: ApiClient) =>
  limiter.admitReserved(client) ? undefined : limiter.admit(client);

/** Requests arriving together: how many were admitted, and the Retry-After of each refused, in seconds. */
async function burst(limiter: RateLimiter, client: ApiClient, requests: number) {
  const answers = await Promise.all(Array.from({ length: requests }, () => admit(limiter, client)));
  return {
    admitted: answers.filter((retryAfter) => retryAfter === undefined).length,
    retryAfter: answers.filter((retryAfter) => retryAfter !== undefined),
  };
}

describe('RateLimiter', () => {
  it('admits a burst up to the limit, counted in Redis, and refuses the next with the seconds left of the minute', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const cache = redisCache();
    const { limiter, store } = await limiterOn(cache);
    expect(await store.waitUntilUp(2_000)).toBe(true);
    const desk = apiClient('desk', 'desk-key', [REST_ACCOUNT], 5);

    expect(await burst(limiter, desk, 6)).toEqual({ admitted: 5, retryAfter: [60] });
    vi.setSystemTime(Date.now() + 45_000);
    expect(await admit(limiter, desk)).toBe(15);
    // Another client has a minute of its own.
    expect(await admit(limiter, apiClient('reports', 'reports-key', [REST_ACCOUNT], 5))).toBeUndefined();

    const redis = new Redis(SHARED_REDIS_URL);
    try {
      expect(await redis.get(`${cache.keyPrefix}:rate:desk`)).toBe('5');
    } finally {
      redis.disconnect();
    }
  });

  it('admits a client again once its minute is over', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const { limiter } = await limiterOn(memoryCache());
    const desk = apiClient('desk', 'desk-key', [REST_ACCOUNT], 3);

    expect(await burst(limiter, desk, 4)).toEqual({ admitted: 3, retryAfter: [60] });
    vi.setSystemTime(Date.now() + 59_999);
    expect(await admit(limiter, desk)).toBe(1);
    vi.setSystemTime(Date.now() + 1);
    expect(await burst(limiter, desk, 4)).toEqual({ admitted: 3, retryAfter: [60] });
  });

  it('tells what remains of the window after each admission, exactly while one replica serves the client', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const { limiter, store } = await limiterOn(redisCache());
    expect(await store.waitUntilUp(2_000)).toBe(true);
    const desk = apiClient('desk', 'desk-key', [REST_ACCOUNT], 50);

    const remaining: number[] = [];
    for (let i = 0; i < 50; i += 1) {
      expect(await admit(limiter, desk)).toBeUndefined();
      remaining.push(limiter.quota(desk).remaining);
    }
    // Reserved in batches, counted one by one.
    expect(remaining).toEqual(Array.from({ length: 50 }, (_, i) => 49 - i));
    expect(limiter.quota(desk).resetSeconds).toBe(60);
    vi.setSystemTime(Date.now() + 20_500);
    expect(limiter.quota(desk)).toEqual({ remaining: 0, resetSeconds: 40 });
    expect(await admit(limiter, desk)).toBe(40);
  });

  it('holds a client to its limit on this replica alone while Redis does not answer', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const { limiter, store } = await limiterOn(redisCache(`redis://127.0.0.1:${await freePort()}`));
    expect(store.health().state).toBe('degraded');
    const desk = apiClient('desk', 'desk-key', [REST_ACCOUNT], 3);

    expect(await burst(limiter, desk, 5)).toEqual({ admitted: 3, retryAfter: [60, 60] });
  });
});

import type { ThrottlerStorage } from '@nestjs/throttler';
import { MemoryStore, type CacheStore } from '@app/cache';

interface ThrottlerStorageRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/**
 * Per-client windows in the cache store, so that replicas sharing Redis share one limit. With the
 * store down, each replica limits on its own rather than letting everything through or failing.
 */
export class RateLimitStorage implements ThrottlerStorage {
  private readonly fallback = new MemoryStore(1024 * 1024);

  constructor(private readonly store: CacheStore) {}

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    const window = await this.store.countHit(key, ttl).catch(() => this.fallback.countHit(key, ttl));
    const seconds = Math.max(1, Math.ceil(window.resetInMs / 1000));
    return {
      totalHits: window.hits,
      timeToExpire: seconds,
      isBlocked: window.hits > limit,
      timeToBlockExpire: seconds,
    };
  }
}

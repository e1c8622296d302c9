import { MemoryStore, type CacheStore } from '@app/cache';
import type { ApiClient } from '../config/gateway.config.js';

const MINUTE_MS = 60_000;

/**
 * Per-client windows of a minute in the cache store, so that replicas sharing Redis share one
 * limit. With the store down, each replica limits on its own rather than letting everything
 * through or failing.
 */
export class RateLimiter {
  private readonly fallback = new MemoryStore(1024 * 1024);

  constructor(
    private readonly store: CacheStore,
    private readonly keyPrefix: string,
  ) {}

  /** Counts a request of the client; resolves with the seconds to wait when it is over its limit. */
  async count(client: ApiClient): Promise<number | undefined> {
    const key = `${this.keyPrefix}:rate:${client.id}`;
    const window = await this.store.countHit(key, MINUTE_MS).catch(() => this.fallback.countHit(key, MINUTE_MS));
    if (window.hits <= client.rateLimitPerMinute) return undefined;
    return Math.max(1, Math.ceil(window.resetInMs / 1000));
  }
}

import { MemoryStore, type CacheStore } from '@app/cache';
import type { ApiClient } from '../config/gateway.config.js';

const MINUTE_MS = 60_000;
/** How long hits far from a client's limit wait before they are added to the shared count. */
const FLUSH_MS = 50;
/**
 * How far below its limit a client must be for its hits to be counted in batches: more than the
 * other replicas could add unseen within one FLUSH_MS, and a tenth of the limit at least.
 */
const MIN_HEADROOM = 100;

/** What this replica knows of a client's current window. */
interface Window {
  /** The shared count as last read from the store. */
  counted: number;
  /** Hits admitted here and not yet added to the shared count. */
  pending: number;
  resetsAt: number;
  flushTimer?: NodeJS.Timeout;
}

/**
 * Per-client windows of a minute in the cache store, so that replicas sharing Redis share one
 * limit. Near its limit, or at the start of a window, each request of a client is counted in the
 * store before it is admitted, so the limit holds exactly; far from it, hits are counted locally
 * and added in one command every FLUSH_MS, which spares a Redis round trip per request. With the
 * store down, each replica limits on its own rather than letting everything through or failing.
 */
export class RateLimiter {
  private readonly fallback = new MemoryStore(1024 * 1024);
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly store: CacheStore,
    private readonly keyPrefix: string,
  ) {}

  /** Counts a request of a client far from its limit, here alone; false when the store must count it (count). */
  countLocally(client: ApiClient): boolean {
    const limit = client.rateLimitPerMinute;
    const window = this.windows.get(client.id);
    if (!window || Date.now() >= window.resetsAt) return false;
    if (limit - window.counted - window.pending <= Math.max(MIN_HEADROOM, limit / 10)) return false;
    window.pending += 1;
    window.flushTimer ??= setTimeout(() => this.flush(client.id, window), FLUSH_MS).unref();
    return true;
  }

  /** Counts a request of the client in the store; resolves with the seconds to wait when it is over its limit. */
  async count(client: ApiClient): Promise<number | undefined> {
    const window = this.windows.get(client.id);
    const hits = 1 + (window?.pending ?? 0);
    if (window) window.pending = 0;
    const counted = await this.add(client.id, hits);
    if (counted.hits <= client.rateLimitPerMinute) return undefined;
    return Math.max(1, Math.ceil(counted.resetInMs / 1000));
  }

  private flush(clientId: string, window: Window): void {
    window.flushTimer = undefined;
    const hits = window.pending;
    window.pending = 0;
    if (hits > 0) void this.add(clientId, hits);
  }

  /** Adds hits to the shared count and learns the count and the window's end. */
  private async add(clientId: string, hits: number): Promise<{ hits: number; resetInMs: number }> {
    const key = `${this.keyPrefix}:rate:${clientId}`;
    const counted = await this.store
      .countHits(key, MINUTE_MS, hits)
      .catch(() => this.fallback.countHits(key, MINUTE_MS, hits));
    const resetsAt = Date.now() + counted.resetInMs;
    const window = this.windows.get(clientId);
    if (window && Math.abs(window.resetsAt - resetsAt) < 1_000) {
      // Answers may arrive out of order; the count only grows within a window.
      window.counted = Math.max(window.counted, counted.hits);
    } else {
      if (window?.flushTimer) clearTimeout(window.flushTimer);
      this.windows.set(clientId, { counted: counted.hits, pending: 0, resetsAt });
    }
    return counted;
  }
}

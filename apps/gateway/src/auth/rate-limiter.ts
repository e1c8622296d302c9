import { MemoryStore, type SharedStore } from '@app/cache';
import type { ApiClient } from '../config/gateway.config.js';

const MINUTE_MS = 60_000;
/** The window of every client's limit, as RateLimit-Policy states it. */
export const RATE_LIMIT_WINDOW_SECONDS = MINUTE_MS / 1000;
/**
 * A replica far from a client's limit reserves this share of what is left of it at once, so that
 * most requests need no round trip; near the limit the share shrinks to one request at a time.
 */
const RESERVED_SHARE = 1 / 20;

/** What this replica knows of a client's current window. */
interface Window {
  /** The shared count as last read: what every replica has reserved this window. */
  counted: number;
  /** Requests this replica reserved and has not admitted yet. */
  reserved: number;
  resetsAt: number;
}

/** What a client may still send, and in how many seconds its window starts again. */
export interface Quota {
  remaining: number;
  resetSeconds: number;
}

/** Rounded up: a caller that waits this long finds the next window. */
const secondsLeft = (window: Window) => Math.max(1, Math.ceil((window.resetsAt - Date.now()) / 1000));

/**
 * Per-client windows of a minute in the cache store, so that replicas sharing Redis share one
 * limit. A replica admits requests only from what it reserved in the shared count beforehand,
 * so however many replicas there are, a client never gets more than its limit: requests are
 * reserved in batches far from the limit (sparing a round trip per request) and one by one near
 * it. What a replica reserved and did not use is lost when the minute ends: at most a twentieth
 * of the limit per replica. With the store down, each replica limits on its own rather than
 * letting everything through or failing.
 */
export class RateLimiter {
  private readonly fallback = new MemoryStore(1024 * 1024);
  private readonly windows = new Map<string, Window>();
  /** One reservation in flight per client: the requests that find nothing reserved wait for it. */
  private readonly reserving = new Map<string, Promise<void>>();

  constructor(
    private readonly store: SharedStore,
    private readonly keyPrefix: string,
  ) {}

  /** Admits a request from what this replica reserved, at once; false when it must reserve more (admit). */
  admitReserved(client: ApiClient): boolean {
    const window = this.currentWindow(client.id);
    if (!window || window.reserved === 0) return false;
    window.reserved -= 1;
    return true;
  }

  /** Admits a request once reserved in the shared count; resolves with the seconds to wait when the client is over its limit. */
  async admit(client: ApiClient): Promise<number | undefined> {
    for (;;) {
      const window = this.currentWindow(client.id);
      // The count only grows within a window: once over the limit, no reservation can succeed.
      if (window && window.counted >= client.rateLimitPerMinute && window.reserved === 0) return secondsLeft(window);
      let reservation = this.reserving.get(client.id);
      if (!reservation) {
        reservation = this.reserve(client).finally(() => this.reserving.delete(client.id));
        this.reserving.set(client.id, reservation);
      }
      await reservation;
      if (this.admitReserved(client)) return undefined;
    }
  }

  /**
   * What remains of the client's window once a request was admitted, from what this replica knows
   * without asking the store: the limit less the shared count as this replica last read it, plus
   * what it reserved and has not admitted yet (counted already). Exact while one replica serves the
   * client; with several, the others' reservations since that read are not in it. Near the limit
   * that read is fresh: each request is reserved on its own there, so the count is read for each.
   */
  quota(client: ApiClient): Quota {
    const window = this.currentWindow(client.id);
    // Only when the window ended between the admission and now: nothing is known of the next one yet.
    if (!window) return { remaining: 0, resetSeconds: 1 };
    return {
      remaining: Math.max(0, client.rateLimitPerMinute - window.counted) + window.reserved,
      resetSeconds: secondsLeft(window),
    };
  }

  private currentWindow(clientId: string): Window | undefined {
    const window = this.windows.get(clientId);
    return window && Date.now() < window.resetsAt ? window : undefined;
  }

  private async reserve(client: ApiClient): Promise<void> {
    const limit = client.rateLimitPerMinute;
    const known = this.currentWindow(client.id);
    const wanted = known ? Math.max(1, Math.floor((limit - known.counted) * RESERVED_SHARE)) : 1;
    const key = `${this.keyPrefix}:rate:${client.id}`;
    const { hits, resetInMs } = await this.store
      .countHits(key, MINUTE_MS, wanted)
      .catch(() => this.fallback.countHits(key, MINUTE_MS, wanted));
    // What was left of the limit before this reservation, if less than it asked for.
    const granted = Math.max(0, Math.min(wanted, limit - (hits - wanted)));
    const resetsAt = Date.now() + resetInMs;
    const current = this.currentWindow(client.id);
    if (current && Math.abs(current.resetsAt - resetsAt) < 1_000) {
      current.counted = Math.max(current.counted, hits);
      current.reserved += granted;
    } else {
      // A new window in the store: what was reserved in the last one is gone with it.
      this.windows.set(client.id, { counted: hits, reserved: granted, resetsAt });
    }
  }
}

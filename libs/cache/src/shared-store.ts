/** Whether a store answers; when it does not, a short reason (`timeout`, `auth`, `cluster node down`, ...) and its cause. */
export type StoreHealth = { state: 'up' } | { state: 'degraded'; reason: string; cause: string };

/**
 * What the replicas share: cached histories, the fill locks of their keys and the hit counts of
 * rate windows; in Redis for every replica, or in memory inside one. Operations reject when the
 * store cannot answer in time; callers treat that as a miss, never as a failure.
 */
export interface SharedStore {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer, ttlMs: number): Promise<void>;
  /** Takes the fill lock of a key for ttlMs; resolves with its token, or null when another holds it. */
  tryLock(key: string, ttlMs: number): Promise<string | null>;
  unlock(key: string, token: string): Promise<void>;
  /** Extends the fill lock of a key to ttlMs from now if token still holds it; resolves whether it did. */
  renewLock(key: string, token: string, ttlMs: number): Promise<boolean>;
  isLocked(key: string): Promise<boolean>;
  /** Adds hits (1 by default) to the fixed window of key; resolves with the hits so far and the window's remaining life. */
  countHits(key: string, windowMs: number, hits?: number): Promise<{ hits: number; resetInMs: number }>;
  /** Whether the store answers right now, and if not, why. */
  health(): StoreHealth;
  /** Waits for the store to answer, at most timeoutMs; resolves whether it does. */
  waitUntilUp(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

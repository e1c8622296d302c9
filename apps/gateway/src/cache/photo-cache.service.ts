import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { LoadCoordinator, decodeEntry, encodeEntry, type Found, type SharedStore } from '@app/cache';
import type { ImageType } from '@app/interact-client';
import { GATEWAY_CONFIG, type CacheConfig, type GatewayAccount, type GatewayConfig } from '../config/gateway.config.js';
import { MetricsService, type CacheResult } from '../metrics/metrics.service.js';
import { accountCacheKey } from './cache-key.js';
import { CACHE_STORE } from './cache.tokens.js';

/** Bumped whenever a stored photo entry changes shape, so old entries become misses. */
const KEY_SCHEMA = 'p1';

/**
 * What the store keeps of a photo: its bytes (small enough to cache), upstream's word that it is
 * gone, or that it is too large to cache, so that the next requests stream it without waiting
 * on one another.
 */
export type PhotoEntry =
  | { kind: 'photo'; contentType: ImageType; body: Buffer; storedAt: number; freshUntil: number }
  | { kind: 'not-found'; storedAt: number; freshUntil: number }
  | { kind: 'large'; storedAt: number; freshUntil: number };

/** One load's outcome: its entry, and for a photo too large to cache, the body it began to read, for the one caller that claims it. */
export interface PhotoLoad<S> {
  entry: PhotoEntry;
  stream?: { claim(): S | undefined };
}

export type PhotoLoaded =
  { kind: 'photo'; contentType: ImageType; body: Buffer } | { kind: 'not-found' } | { kind: 'large' };

/** Account, environment, unique id, path and size: whatever would make upstream answer another image. */
export function photoCacheKey(
  prefix: string,
  account: GatewayAccount,
  uniqueId: string,
  path: string,
  maxSize: number | undefined,
): string {
  const part = encodeURIComponent;
  return accountCacheKey(prefix, KEY_SCHEMA, account, 'photo', part(uniqueId), part(path), maxSize ?? 'full');
}

/**
 * A strong validator of the photo a key names. An uploaded photo never changes, so its identity is
 * its validator: a revalidation is answered without reading the photo at all, cached or not.
 */
export function photoEtag(key: string): string {
  // The prefix and schema are the deployment's, not the photo's: left out, so that the ETag stays across deploys.
  const identity = key.split(':').slice(2).join(':');
  return `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`;
}

/** Stored as they came: images are compressed already. */
const NEVER_COMPRESS = Number.POSITIVE_INFINITY;

/** The next turn of the event loop: the reply of the current one has begun by then. */
const afterAnswer = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Photos in the flows' cache store. A miss goes upstream through the load coordinator, once per
 * key across the replicas; the callers that join a load of a photo too large to cache stream it on
 * their own, since only one can read its body, and the others learn from the `large` entry to do so
 * at once.
 */
@Injectable()
export class PhotoCacheService {
  private readonly logger = new Logger('PhotoCache');
  private readonly loads: LoadCoordinator<PhotoLoad<unknown>>;
  private readonly writes = new Set<Promise<void>>();
  private readonly cache: CacheConfig;

  constructor(
    @Inject(CACHE_STORE) private readonly store: SharedStore,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly metrics: MetricsService,
  ) {
    this.cache = config.cache;
    this.loads = new LoadCoordinator<PhotoLoad<unknown>>(store, {
      find: (key, since) => this.storedSince(key, since),
      onLeaseLapsed: (key) => this.logger.warn(`the lock of ${key} lapsed before its load ended`),
    });
  }

  /**
   * The fresh entry of a key, null for a miss or a store that does not answer; counted as the
   * flows' reads are. A photo known too large to cache is a miss each time: Interact is asked.
   */
  async read(key: string): Promise<PhotoEntry | null> {
    let raw: Buffer | null;
    try {
      raw = await this.store.get(key);
    } catch {
      this.counted('bypass');
      return null;
    }
    const stored = raw && (await decoded(raw));
    const entry = stored && Date.now() < stored.freshUntil ? stored : null;
    this.counted(entry && entry.kind !== 'large' ? 'hit' : 'miss');
    return entry;
  }

  private counted(result: CacheResult): void {
    this.metrics.cacheRequests.inc({ operation: 'photo', result });
  }

  /**
   * Loads a key once across the replicas: `load` resolves with what to store and, for a photo too
   * large to store, the stream its caller reads; it fails with a LoadFailure.
   */
  load<S>(
    key: string,
    account: GatewayAccount,
    load: () => Promise<{ loaded: PhotoLoaded; stream?: S }>,
  ): Promise<PhotoLoad<S>> {
    const holdMs = account.resilience.retryDeadlineMs + 2_000;
    return this.loads.load(key, holdMs, async (stored) => {
      const { loaded, stream } = await load();
      const entry = this.entryOf(loaded);
      const written = afterAnswer()
        .then(() => this.write(key, entry))
        .then(stored);
      this.writes.add(written);
      void written.then(() => this.writes.delete(written));
      let unclaimed = stream;
      return {
        entry,
        stream: stream && {
          claim: () => {
            const claimed = unclaimed;
            unclaimed = undefined;
            return claimed;
          },
        },
      };
    }) as Promise<PhotoLoad<S>>;
  }

  /** Resolves once every write in flight, and the lock release after it, is done. */
  async settled(): Promise<void> {
    while (this.writes.size > 0) await Promise.all(this.writes);
  }

  private entryOf(loaded: PhotoLoaded): PhotoEntry {
    const storedAt = Date.now();
    switch (loaded.kind) {
      case 'photo':
        return { ...loaded, storedAt, freshUntil: storedAt + this.cache.photoTtlMs };
      case 'large':
        return { kind: 'large', storedAt, freshUntil: storedAt + this.cache.photoTtlMs };
      case 'not-found':
        return { kind: 'not-found', storedAt, freshUntil: storedAt + this.cache.negativeTtlMs };
    }
  }

  private async storedSince(key: string, since: number): Promise<Found<PhotoLoad<unknown>>> {
    let raw: Buffer | null;
    try {
      raw = await this.store.get(key);
    } catch {
      return { value: null, available: false };
    }
    const entry = raw && (await decoded(raw));
    const taken = entry && Date.now() < entry.freshUntil && entry.storedAt >= since;
    return { value: taken ? { entry } : null, available: true };
  }

  /** Never fails: an entry that is not stored is a miss the next time. */
  private async write(key: string, entry: PhotoEntry): Promise<void> {
    const { body, ...meta } = entry.kind === 'photo' ? entry : { ...entry, body: Buffer.alloc(0) };
    try {
      const value = await encodeEntry(meta, body, NEVER_COMPRESS);
      await this.store.set(key, value, entry.freshUntil - Date.now());
    } catch {
      // The store's outage is reported by the store.
    }
  }
}

async function decoded(raw: Buffer): Promise<PhotoEntry | null> {
  const entry = await decodeEntry<PhotoEntry>(raw);
  if (!entry) return null;
  return entry.meta.kind === 'photo' ? { ...entry.meta, body: entry.body } : entry.meta;
}

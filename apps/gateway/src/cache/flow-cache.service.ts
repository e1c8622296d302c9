import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  LoadCoordinator,
  LoadFailure,
  MemoryStore,
  decodeEntry,
  encodeEntry,
  isServerFailure,
  type SharedStore,
  type Found,
  type Loader,
} from '@app/cache';
import type { FlowLookup } from '@app/interact-client';
import { GATEWAY_CONFIG, type CacheConfig, type GatewayAccount, type GatewayConfig } from '../config/gateway.config.js';
import { MetricsService, type CacheResult } from '../metrics/metrics.service.js';
import { accountCacheKey } from './cache-key.js';
import { CACHE_STORE } from './cache.tokens.js';

/** Bumped whenever the stored entry or the flow JSON changes shape, so old entries become misses. */
const KEY_SCHEMA = 'v2';
const CACHE_NAME = 'interact-flow-gateway';

/** What a load brings: a history, or upstream's word that there is none. It fails with a LoadFailure. */
export type Loaded = { kind: 'flow'; body: Buffer } | { kind: 'not-found'; detail: string };

interface EntryMeta {
  kind: Loaded['kind'];
  etag: string;
  detail?: string;
  storedAt: number;
  freshUntil: number;
  staleUntil: number;
}

export interface FlowEntry extends EntryMeta {
  body: Buffer;
}

export interface Served {
  entry: FlowEntry;
  /** RFC 9211 Cache-Status value. */
  cacheStatus: string;
  /** Seconds the answer stays fresh, 0 when already stale. */
  maxAgeSeconds: number;
}

export function flowCacheKey(prefix: string, account: GatewayAccount, lookup: FlowLookup): string {
  const { kind, value, widerSearch } = lookup;
  return accountCacheKey(prefix, KEY_SCHEMA, account, kind, encodeURIComponent(value), widerSearch ? 'wide' : 'narrow');
}

export function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

async function decoded(raw: Buffer): Promise<FlowEntry | null> {
  const entry = await decodeEntry<FlowEntry>(raw);
  // The metadata was just parsed for this read alone: it takes the body rather than being copied.
  if (entry) entry.meta.body = entry.body;
  return entry?.meta ?? null;
}

/** The next turn of the event loop: the reply of the current one has been written by then. */
const afterAnswer = () => new Promise<void>((resolve) => setImmediate(resolve));

const seconds = (ms: number) => (ms >= 0 ? Math.ceil(ms / 1000) : -Math.ceil(-ms / 1000));

/**
 * The longest a load holds the replicas' lock: the upstream call, its retries and time queued for
 * it (within the deadline), and the write.
 */
const holdMs = (account: GatewayAccount) => account.resilience.retryDeadlineMs + 2_000;

/**
 * Histories in the cache store: what is served, fresh, stale or negative, and for how long. Misses
 * go upstream through the load coordinator, one call per key at a time across the replicas. A
 * store that fails or is slow only turns hits into misses.
 */
@Injectable()
export class FlowCacheService {
  private readonly logger = new Logger('FlowCache');
  private readonly loads: LoadCoordinator<FlowEntry>;
  /** Entries already answered but not yet in the store: this replica reads them as if they were. */
  private readonly unwritten = new Map<string, FlowEntry>();
  /** Each write with the lock release that follows it. */
  private readonly writes = new Set<Promise<void>>();
  private readonly refreshing = new Set<string>();
  private readonly cache: CacheConfig;
  /**
   * Entries this replica read from Redis or wrote there, kept for cache.local.ttlMs: hits without
   * a round trip, answered as well when Redis is slow or down, and while it is down one upstream
   * call per key per lifetime instead of one per request. Short-lived, because another replica's
   * no-cache refresh reaches this one only through Redis; the replicas' shared path (a no-cache
   * load, a wait on another replica's lock) never reads it. The entries are Redis' own bytes, ETag
   * included. None with the memory store, which is such a tier already.
   */
  private readonly local: MemoryStore | undefined;

  constructor(
    @Inject(CACHE_STORE) private readonly store: SharedStore,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly metrics: MetricsService,
  ) {
    this.cache = config.cache;
    const { local } = config.cache;
    this.local = store.kind === 'redis' && local.ttlMs > 0 ? new MemoryStore(local.maxBytes) : undefined;
    this.loads = new LoadCoordinator<FlowEntry>(store, {
      find: (key, since) => this.storedSince(key, since),
      onLeaseLapsed: (key) => this.logger.warn(`the lock of ${key} lapsed before its load ended`),
    });
  }

  /** A flow the store holds fresh, served as a hit; undefined for anything that takes more (see serve). */
  async freshFlow(key: string): Promise<Served | undefined> {
    const { entry } = await this.read(key);
    if (entry?.kind !== 'flow' || Date.now() >= entry.freshUntil) return undefined;
    this.counted('hit');
    return this.served(entry, 'hit');
  }

  async serve(key: string, account: GatewayAccount, noCache: boolean, load: () => Promise<Loaded>): Promise<Served> {
    if (noCache) {
      this.counted('bypass');
      return this.served(await this.refill(key, account, load), 'fwd=request');
    }
    const { entry, available } = await this.read(key);
    const now = Date.now();
    if (entry && now < entry.freshUntil) {
      this.counted('hit');
      return this.served(entry, 'hit');
    }
    if (entry && entry.kind === 'flow' && now < entry.freshUntil + this.cache.staleWhileRevalidateMs) {
      this.counted('stale');
      this.refreshInBackground(key, account, load);
      return this.served(entry, 'fwd=stale; detail=stale-while-revalidate');
    }
    if (entry && now < entry.staleUntil) {
      try {
        const filled = await this.fill(key, account, load);
        this.counted('miss');
        // A history comes with 200 on both wires; not-found's status differs by wire, and without
        // fwd-status the response's own (404) stands for it.
        return this.served(filled, filled.kind === 'flow' ? 'fwd=stale; fwd-status=200' : 'fwd=stale');
      } catch (error) {
        // A failure on the server side, upstream's or the gateway's own, may be papered over with
        // a stale copy; never a caller's mistake.
        if (!isServerFailure(error)) throw error;
        this.counted('stale');
        // A load refused before it asked upstream (an open circuit, a full bulkhead) forwarded
        // nothing: a stale hit, not a forward (RFC 9211).
        if (!error.forwarded) return this.served(entry, 'hit; detail=stale-if-error');
        return this.served(entry, `fwd=stale; fwd-status=${error.status}; detail=stale-if-error`);
      }
    }
    const result: CacheResult = available ? 'miss' : 'bypass';
    this.counted(result);
    try {
      const filled = await this.fill(key, account, load);
      return this.served(filled, available ? 'fwd=miss' : 'fwd=miss; detail=cache-unavailable');
    } catch (error) {
      if (error instanceof LoadFailure) error.cacheStatus = `${CACHE_NAME}; fwd=miss`;
      throw error;
    }
  }

  private counted(result: CacheResult): void {
    this.metrics.cacheRequests.inc({ operation: 'flow', result });
  }

  private served(entry: FlowEntry, status: string): Served {
    const left = entry.freshUntil - Date.now();
    return {
      entry,
      cacheStatus: `${CACHE_NAME}; ${status}; ttl=${seconds(left)}`,
      maxAgeSeconds: Math.max(0, seconds(left)),
    };
  }

  /** Resolves once every write in flight, and the lock release after it, is done: for a shutdown, before the store closes. */
  async settled(): Promise<void> {
    while (this.writes.size > 0) await Promise.all(this.writes);
  }

  /** A miss: joins the key's load in flight in this replica, a no-cache one included, or starts one. */
  private fill(key: string, account: GatewayAccount, load: () => Promise<Loaded>): Promise<FlowEntry> {
    return this.loads.load(key, holdMs(account), this.loader(key, account, load));
  }

  /**
   * A no-cache request (RFC 9111, 5.2.1.4: no stored response without asking the origin): answered
   * by a no-cache load, its own or one in flight that it joins, never by the stored entry (see
   * LoadCoordinator.reload).
   */
  private refill(key: string, account: GatewayAccount, load: () => Promise<Loaded>): Promise<FlowEntry> {
    return this.loads.reload(key, holdMs(account), this.loader(key, account, load));
  }

  private loader(key: string, account: GatewayAccount, load: () => Promise<Loaded>): Loader<FlowEntry> {
    return (stored) => this.loadAndStore(key, account, load, stored);
  }

  /** What another load stored at or after since, while it is fresh: the coordinator's waiters take nothing older. */
  private async storedSince(key: string, since: number): Promise<Found<FlowEntry>> {
    const { entry, available } = await this.read(key, 'shared');
    const taken = entry && Date.now() < entry.freshUntil && entry.storedAt >= since;
    return { value: taken ? entry : null, available };
  }

  private async loadAndStore(
    key: string,
    account: GatewayAccount,
    load: () => Promise<Loaded>,
    afterWrite: () => Promise<void>,
  ): Promise<FlowEntry> {
    const loaded = await load();
    const now = Date.now();
    const entry: FlowEntry =
      loaded.kind === 'flow'
        ? {
            kind: 'flow',
            body: loaded.body,
            etag: etagOf(loaded.body),
            storedAt: now,
            freshUntil: now + account.cacheTtlMs,
            staleUntil:
              now + account.cacheTtlMs + Math.max(this.cache.staleWhileRevalidateMs, this.cache.staleIfErrorMs),
          }
        : {
            kind: 'not-found',
            body: Buffer.alloc(0),
            etag: '',
            detail: loaded.detail,
            storedAt: now,
            freshUntil: now + this.cache.negativeTtlMs,
            staleUntil: now + this.cache.negativeTtlMs,
          };
    // The answer does not wait for the write, nor for its encoding to start: the write begins
    // once the answer has been handed to the socket, so a miss costs the caller the upstream call alone.
    this.unwritten.set(key, entry);
    const written = afterAnswer()
      .then(() => this.write(key, entry))
      .then(() => {
        if (this.unwritten.get(key) === entry) this.unwritten.delete(key);
        return afterWrite();
      });
    this.writes.add(written);
    void written.then(() => this.writes.delete(written));
    return entry;
  }

  private refreshInBackground(key: string, account: GatewayAccount, load: () => Promise<Loaded>): void {
    if (this.refreshing.has(key) || this.loads.loading(key)) return;
    this.refreshing.add(key);
    this.fill(key, account, load)
      .catch((error: unknown) => this.logger.warn(`background refresh of ${key} failed: ${(error as Error).message}`))
      .finally(() => this.refreshing.delete(key));
  }

  /**
   * The entry of a key: from the local tier while it holds it fresh, else from the store (kept in
   * the local tier), else, the store failing, the local tier's whatever its age. 'shared' reads the
   * store alone, for what another replica wrote.
   */
  private async read(
    key: string,
    tier: 'local' | 'shared' = 'local',
  ): Promise<{ entry: FlowEntry | null; available: boolean }> {
    const unwritten = this.unwritten.get(key);
    if (unwritten) return { entry: unwritten, available: true };
    const localRaw = tier === 'local' ? await this.local?.get(key) : undefined;
    const near = localRaw ? await decoded(localRaw) : null;
    if (near && Date.now() < near.freshUntil) return { entry: near, available: true };
    let raw: Buffer | null;
    try {
      raw = await this.store.get(key);
    } catch {
      return { entry: near, available: false };
    }
    if (!raw) return { entry: null, available: true };
    const entry = await decoded(raw);
    if (entry) this.keepLocal(key, raw, entry);
    return { entry, available: true };
  }

  private keepLocal(key: string, value: Buffer, entry: FlowEntry): void {
    void this.local?.set(key, value, Math.min(this.cache.local.ttlMs, entry.staleUntil - Date.now()));
  }

  /**
   * Never fails: an entry that is not stored is a miss the next time, and the store's outage is
   * reported by the store. The local tier keeps it whether or not the store does.
   */
  private write(key: string, entry: FlowEntry): Promise<void> {
    const { body, ...meta } = entry;
    return encodeEntry(meta, body, this.cache.compressAboveBytes)
      .then((value) => {
        this.keepLocal(key, value, entry);
        return this.store.set(key, value, entry.staleUntil - Date.now());
      })
      .catch(() => undefined);
  }
}

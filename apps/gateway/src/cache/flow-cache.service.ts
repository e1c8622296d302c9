import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { MemoryStore, decodeEntry, encodeEntry, type SharedStore } from '@app/cache';
import type { FlowLookup } from '@app/interact-client';
import { GATEWAY_CONFIG, type CacheConfig, type GatewayAccount, type GatewayConfig } from '../config/gateway.config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PROBLEM_TYPES } from '../problems/problem-types.js';
import { ProblemException } from '../problems/problem.js';
import { CACHE_STORE } from './cache.tokens.js';

/** Bumped whenever the stored entry or the flow JSON changes shape, so old entries become misses. */
const KEY_SCHEMA = 'v1';
const CACHE_NAME = 'interact-flow-gateway';
const POLL_MS = 20;
/** Long enough for every waiting replica's next poll to see it; short enough to concern only them. */
const SHARED_FAILURE_TTL_MS = 1_000;
/**
 * The replicas' lock is a lease its holder renews while its load runs: short, so that a replica
 * that dies holding it delays the others this long, not a whole call.
 */
const LOCK_LEASE_MS = 3_000;
/** Three renewals per lease: one lost to a slow store still leaves the lease held. */
const LEASE_RENEW_MS = LOCK_LEASE_MS / 3;

/** A lock holder's failed load, as the replicas waiting for it read it (see shareFailure). */
interface SharedFailure {
  slug: ProblemException['slug'];
  detail: string;
  headers: Record<string, string>;
}

const failureKey = (key: string) => `${key}:failed`;

export type Loaded = { kind: 'flow'; body: Buffer } | { kind: 'not-found'; detail: string };

/**
 * A load's failure that is the starting request's alone, such as its client's share of the
 * bulkhead being full: the requests that joined the load go on to load for themselves, and no
 * other replica is told of it. The starting request gets `failure`.
 */
export class OwnFailure extends Error {
  constructor(readonly failure: unknown) {
    super('a failure of the request that started the load alone');
  }
}

const ownFailureUnwrapped = (error: unknown): never => {
  throw error instanceof OwnFailure ? error.failure : error;
};

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

/** How the cache answered, for metrics: served fresh, fetched, served stale, or not consulted. */
type CacheResult = 'hit' | 'miss' | 'stale' | 'bypass';

export interface Served {
  entry: FlowEntry;
  /** RFC 9211 Cache-Status value. */
  cacheStatus: string;
  /** Seconds the answer stays fresh, 0 when already stale. */
  maxAgeSeconds: number;
}

export function flowCacheKey(prefix: string, account: GatewayAccount, lookup: FlowLookup): string {
  const part = encodeURIComponent;
  return [
    prefix,
    KEY_SCHEMA,
    part(account.accountId),
    // An account without an environment gets an empty part, which no name encodes to: names are non-empty.
    part(account.environmentName ?? ''),
    lookup.kind,
    part(lookup.value),
    lookup.widerSearch ? 'wide' : 'narrow',
  ].join(':');
}

export function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/**
 * A load that failed on the server side, upstream's or the gateway's own (a 5xx), may be papered
 * over with a stale copy; never a caller's mistake.
 */
const staleMayAnswer = (error: unknown): error is ProblemException =>
  error instanceof ProblemException && PROBLEM_TYPES[error.slug].status >= 500;

const ignore = () => undefined;

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
 * Histories in the cache store, with one upstream call per key at a time: concurrent misses in
 * this replica share one promise, and replicas sharing Redis share one lock. A store that fails
 * or is slow only turns hits into misses.
 */
@Injectable()
export class FlowCacheService {
  private readonly logger = new Logger('FlowCache');
  private readonly inflight = new Map<string, Promise<FlowEntry>>();
  /** The load each key's no-cache requests share: one that began after the first of them arrived (see refill). */
  private readonly forced = new Map<string, Promise<FlowEntry>>();
  /** Entries already answered but not yet in the store: this replica reads them as if they were. */
  private readonly unwritten = new Map<string, FlowEntry>();
  /** Each write with the lock release that follows it. */
  private readonly writes = new Set<Promise<void>>();
  /** Keys whose lock this replica holds, each with the promise of its release. */
  private readonly releases = new Map<string, Promise<void>>();
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
  }

  /** A flow the store holds fresh, served as a hit; undefined for anything that takes more (see serve). */
  async freshFlow(key: string): Promise<Served | undefined> {
    const { entry } = await this.read(key);
    if (entry?.kind !== 'flow' || Date.now() >= entry.freshUntil) return undefined;
    this.metrics.cacheRequests.inc({ result: 'hit' });
    return this.served(entry, 'hit');
  }

  async serve(key: string, account: GatewayAccount, noCache: boolean, load: () => Promise<Loaded>): Promise<Served> {
    if (noCache) {
      this.metrics.cacheRequests.inc({ result: 'bypass' });
      return this.served(await this.refill(key, account, load), 'fwd=request');
    }
    const { entry, available } = await this.read(key);
    const now = Date.now();
    if (entry && now < entry.freshUntil) {
      this.metrics.cacheRequests.inc({ result: 'hit' });
      return this.served(entry, 'hit');
    }
    if (entry && entry.kind === 'flow' && now < entry.freshUntil + this.cache.staleWhileRevalidateMs) {
      this.metrics.cacheRequests.inc({ result: 'stale' });
      this.refreshInBackground(key, account, load);
      return this.served(entry, 'fwd=stale; detail=stale-while-revalidate');
    }
    if (entry && now < entry.staleUntil) {
      try {
        const filled = await this.fill(key, account, load);
        this.metrics.cacheRequests.inc({ result: 'miss' });
        // A history comes with 200 on both wires; not-found's status differs by wire, and without
        // fwd-status the response's own (404) stands for it.
        return this.served(filled, filled.kind === 'flow' ? 'fwd=stale; fwd-status=200' : 'fwd=stale');
      } catch (error) {
        if (!staleMayAnswer(error)) throw error;
        this.metrics.cacheRequests.inc({ result: 'stale' });
        // An open circuit or a full bulkhead forwarded nothing: a stale hit, not a forward (RFC 9211).
        if (error.slug === 'upstream-unavailable') return this.served(entry, 'hit; detail=stale-if-error');
        const status = PROBLEM_TYPES[error.slug].status;
        return this.served(entry, `fwd=stale; fwd-status=${status}; detail=stale-if-error`);
      }
    }
    const result: CacheResult = available ? 'miss' : 'bypass';
    this.metrics.cacheRequests.inc({ result });
    try {
      const filled = await this.fill(key, account, load);
      return this.served(filled, available ? 'fwd=miss' : 'fwd=miss; detail=cache-unavailable');
    } catch (error) {
      if (error instanceof ProblemException) error.headers['cache-status'] = `${CACHE_NAME}; fwd=miss`;
      throw error;
    }
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

  /** A miss: joins the key's load in flight in this replica, a forced one included, or starts one. */
  private fill(key: string, account: GatewayAccount, load: () => Promise<Loaded>): Promise<FlowEntry> {
    const joined = this.inflight.get(key) ?? this.forced.get(key);
    if (joined) return this.join(joined, () => this.fill(key, account, load));
    const pending = this.fillOnce(key, account, load, 0).finally(() => this.inflight.delete(key));
    this.inflight.set(key, pending);
    return pending.catch(ownFailureUnwrapped);
  }

  /** A load in flight, as a request that did not start it sees it: another's own failure makes it load again. */
  private join(pending: Promise<FlowEntry>, again: () => Promise<FlowEntry>): Promise<FlowEntry> {
    return pending.catch((error: unknown) => {
      if (error instanceof OwnFailure) return again();
      throw error;
    });
  }

  /**
   * A no-cache request (RFC 9111, 5.2.1.4: no stored response without asking the origin) is
   * answered by an upstream call, but not necessarily its own: it joins the key's no-cache load in
   * flight in this replica, or starts one that the next ones join, and that load, like a miss,
   * takes the replicas' lock or waits for the holder's entry, accepting only one stored after it
   * began. A load that began before the request arrived is acceptable: its answer comes from
   * Interact while the request waits, at most one call older than a call of its own would be, and
   * that is what RFC 9111 (section 4) lets a cache do when it collapses requests. Without it, any
   * caller could send one upstream call per request.
   */
  private refill(key: string, account: GatewayAccount, load: () => Promise<Loaded>): Promise<FlowEntry> {
    const joined = this.forced.get(key);
    if (joined) return this.join(joined, () => this.refill(key, account, load));
    const pending = this.fillOnce(key, account, load, Date.now()).finally(() => this.forced.delete(key));
    this.forced.set(key, pending);
    return pending.catch(ownFailureUnwrapped);
  }

  /**
   * One replica loads; the others wait for its entry, at most for the lock's lifetime, taking one
   * stored at or after storedSince (in milliseconds since the epoch; 0 takes any fresh entry).
   */
  private async fillOnce(
    key: string,
    account: GatewayAccount,
    load: () => Promise<Loaded>,
    storedSince: number,
  ): Promise<FlowEntry> {
    // The longest a load holds the lock: the upstream call, its retries and time queued for it
    // (within the deadline), and the write. Its lease is not renewed past it, nor waited for.
    const holdMs = account.resilience.retryDeadlineMs + 2_000;
    for (;;) {
      let token: string | null;
      try {
        token = await this.store.tryLock(key, LOCK_LEASE_MS);
      } catch {
        // No store, no lock: this replica loads on its own.
        return this.loadAndStore(key, account, load);
      }
      if (token !== null) {
        const stopRenewing = this.renewLease(key, token, holdMs);
        let released: () => void = ignore;
        const release = new Promise<void>((resolve) => (released = resolve));
        this.releases.set(key, release);
        const unlock = () => {
          stopRenewing();
          return this.store
            .unlock(key, token)
            .then(ignore, ignore)
            .finally(() => {
              if (this.releases.get(key) === release) this.releases.delete(key);
              released();
            });
        };
        try {
          // The other replicas poll for the entry while the lock is held: it goes once the entry is written.
          return await this.loadAndStore(key, account, load, unlock);
        } catch (error) {
          void this.shareFailure(key, error).then(unlock);
          throw error;
        }
      }
      const ours = this.releases.get(key);
      if (ours) {
        // This replica's own load holds the lock while it writes its entry, after its answer went:
        // wait for that rather than poll, which cost a no-cache caller a poll's time per request.
        await ours;
        const { entry } = await this.read(key, 'shared');
        if (entry && Date.now() < entry.freshUntil && entry.storedAt >= storedSince) return entry;
        continue;
      }
      const entry = await this.awaitOtherReplica(key, holdMs, storedSince);
      if (entry) return entry;
    }
  }

  /**
   * Renews the lease of a load's lock, by its token alone, until the returned function is called
   * (its entry written or its failure shared) or for holdMs at most. A renewal the store fails is
   * tried again at the next; one refused means the lease lapsed and another replica may load too.
   */
  private renewLease(key: string, token: string, holdMs: number): () => void {
    const until = Date.now() + holdMs;
    const timer = setInterval(() => {
      if (Date.now() >= until) return clearInterval(timer);
      this.store.renewLock(key, token, LOCK_LEASE_MS).then((held) => {
        if (held) return;
        clearInterval(timer);
        this.logger.warn(`the lock of ${key} lapsed before its load ended`);
      }, ignore);
    }, LEASE_RENEW_MS);
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * Leaves a failed load where the replicas waiting on the lock look once it is released: without
   * it each would take the lock in turn and call upstream again, and the last would answer only
   * after all their calls, each as slow as the failure. Written before the lock goes.
   */
  private async shareFailure(key: string, error: unknown): Promise<void> {
    if (!staleMayAnswer(error)) return;
    const failure: SharedFailure = { slug: error.slug, detail: error.detail, headers: error.headers };
    await this.store.set(failureKey(key), Buffer.from(JSON.stringify(failure)), SHARED_FAILURE_TTL_MS).catch(ignore);
  }

  /** The entry another replica stored, null to try for the lock again; throws the holder's failure. */
  private async awaitOtherReplica(key: string, holdMs: number, storedSince: number): Promise<FlowEntry | null> {
    const deadline = Date.now() + holdMs;
    while (Date.now() < deadline) {
      await sleep(POLL_MS);
      const { entry, available } = await this.read(key, 'shared');
      if (entry && Date.now() < entry.freshUntil && entry.storedAt >= storedSince) return entry;
      if (!available) return null;
      let failure: SharedFailure | undefined;
      try {
        if (await this.store.isLocked(key)) continue;
        // Read after the lock is seen gone: the holder writes its failure before releasing it.
        const raw = await this.store.get(failureKey(key));
        failure = raw ? (JSON.parse(raw.toString()) as SharedFailure) : undefined;
      } catch {
        return null;
      }
      // No failure: the holder's lease lapsed (it died, or held it longer than holdMs), so try again.
      if (!failure) return null;
      throw new ProblemException(failure.slug, failure.detail, {}, { ...failure.headers });
    }
    return null;
  }

  private async loadAndStore(
    key: string,
    account: GatewayAccount,
    load: () => Promise<Loaded>,
    afterWrite: () => Promise<void> = () => Promise.resolve(),
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
    if (this.refreshing.has(key) || this.inflight.has(key) || this.forced.has(key)) return;
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

import type { SharedStore } from './shared-store.js';
import { LoadFailure, isServerFailure, type LoadFailureFacts } from './load-failure.js';

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

const failureKey = (key: string) => `${key}:failed`;

/**
 * A load's failure that is the starting caller's alone, such as its client's share of the
 * bulkhead being full: the callers that joined the load go on to load for themselves, and no
 * other replica is told of it. The starting caller gets `failure`.
 */
export class OwnFailure extends Error {
  constructor(readonly failure: unknown) {
    super('a failure of the caller that started the load alone');
  }
}

const ownFailureUnwrapped = (error: unknown): never => {
  throw error instanceof OwnFailure ? error.failure : error;
};

const ignore = () => undefined;
const nothingToRelease = () => Promise.resolve();

/** The global timer, not node:timers/promises: a test's fake clock replaces only the former. */
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A value a load stored, as a waiting caller finds it (null when none it may take), and whether the store answered. */
export interface Found<T> {
  value: T | null;
  available: boolean;
}

/**
 * Loads a key's value. It calls `stored` once the value is where `find` reads it, which releases
 * the replicas' lock: until then the others wait for it rather than load too.
 */
export type Loader<T> = (stored: () => Promise<void>) => Promise<T>;

export interface LoadCoordinatorOptions<T> {
  /**
   * The value a load of key stored at or after `since` (milliseconds since the epoch; 0 takes
   * any), if it may still be served. Read from the store, where another replica's load writes.
   */
  find(key: string, since: number): Promise<Found<T>>;
  /** A holder's lease lapsed before its load ended: another replica may be loading too. */
  onLeaseLapsed(key: string): void;
}

/**
 * One load per key at a time: concurrent callers in this replica share one promise, and replicas
 * sharing a store share its lock, a short lease its holder renews while it loads. The others wait
 * for the value it stores, or for its failure, which it leaves in the store for them. Knows
 * nothing of what is loaded, nor of how a failure is answered.
 */
export class LoadCoordinator<T> {
  private readonly loads = new Map<string, Promise<T>>();
  /** The load each key's forced callers share: one that began after the first of them arrived (see reload). */
  private readonly forced = new Map<string, Promise<T>>();
  /** Keys whose lock this replica holds, each with the promise of its release. */
  private readonly releases = new Map<string, Promise<void>>();

  constructor(
    private readonly store: SharedStore,
    private readonly options: LoadCoordinatorOptions<T>,
  ) {}

  /** Whether this replica has a load of key in flight. */
  loading(key: string): boolean {
    return this.loads.has(key) || this.forced.has(key);
  }

  /**
   * Joins the key's load in flight in this replica, a forced one included, or starts one, which
   * takes the replicas' lock or waits for its holder's value. holdMs is the longest a load may
   * take, its storing included: its lease is not renewed past it, nor waited for by the others.
   */
  load(key: string, holdMs: number, loader: Loader<T>): Promise<T> {
    const joined = this.loads.get(key) ?? this.forced.get(key);
    if (joined) return this.join(joined, () => this.load(key, holdMs, loader));
    const pending = this.loadOnce(key, holdMs, loader, 0).finally(() => this.loads.delete(key));
    this.loads.set(key, pending);
    return pending.catch(ownFailureUnwrapped);
  }

  /**
   * For a caller that must not be answered with what was stored before it came (RFC 9111,
   * 5.2.1.4, no-cache): it joins the key's forced load in flight in this replica, or starts one
   * that the next ones join, and that load, like any other, takes the replicas' lock or waits for
   * the holder's value, taking only one stored after it began. A load that began before the
   * caller arrived is acceptable: its value comes from the origin while the caller waits, at most
   * one load older than one of its own would be, and that is what RFC 9111 (section 4) lets a
   * cache do when it collapses requests. Without it, any caller could cost one load per request.
   */
  reload(key: string, holdMs: number, loader: Loader<T>): Promise<T> {
    const joined = this.forced.get(key);
    if (joined) return this.join(joined, () => this.reload(key, holdMs, loader));
    const pending = this.loadOnce(key, holdMs, loader, Date.now()).finally(() => this.forced.delete(key));
    this.forced.set(key, pending);
    return pending.catch(ownFailureUnwrapped);
  }

  /** A load in flight, as a caller that did not start it sees it: another's own failure makes it load again. */
  private join(pending: Promise<T>, again: () => Promise<T>): Promise<T> {
    return pending.catch((error: unknown) => {
      if (error instanceof OwnFailure) return again();
      throw error;
    });
  }

  /** One replica loads; the others wait for its value, at most for the lock's lifetime, taking one stored at or after since. */
  private async loadOnce(key: string, holdMs: number, loader: Loader<T>, since: number): Promise<T> {
    for (;;) {
      let token: string | null;
      try {
        token = await this.store.tryLock(key, LOCK_LEASE_MS);
      } catch {
        // No store, no lock: this replica loads on its own.
        return loader(nothingToRelease);
      }
      if (token !== null) return this.loadHolding(key, token, holdMs, loader);
      const ours = this.releases.get(key);
      if (ours) {
        // This replica's own load holds the lock while it stores its value, after its callers were
        // answered: wait for that rather than poll, which cost a forced caller a poll's time per request.
        await ours;
        const { value } = await this.options.find(key, since);
        if (value !== null) return value;
        continue;
      }
      const value = await this.awaitOtherReplica(key, holdMs, since);
      if (value !== null) return value;
    }
  }

  private async loadHolding(key: string, token: string, holdMs: number, loader: Loader<T>): Promise<T> {
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
      // The other replicas poll for the value while the lock is held: it goes once the value is stored.
      return await loader(unlock);
    } catch (error) {
      void this.shareFailure(key, error).then(unlock);
      throw error;
    }
  }

  /**
   * Renews the lease of a load's lock, by its token alone, until the returned function is called
   * (its value stored or its failure shared) or for holdMs at most. A renewal the store fails is
   * tried again at the next; one refused means the lease lapsed and another replica may load too.
   */
  private renewLease(key: string, token: string, holdMs: number): () => void {
    const until = Date.now() + holdMs;
    const timer = setInterval(() => {
      if (Date.now() >= until) return clearInterval(timer);
      this.store.renewLock(key, token, LOCK_LEASE_MS).then((held) => {
        if (held) return;
        clearInterval(timer);
        this.options.onLeaseLapsed(key);
      }, ignore);
    }, LEASE_RENEW_MS);
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * Leaves a failed load where the replicas waiting on the lock look once it is released: without
   * it each would take the lock in turn and load again, and the last would answer only after all
   * their loads, each as slow as the failure. Written before the lock goes.
   */
  private async shareFailure(key: string, error: unknown): Promise<void> {
    if (!isServerFailure(error)) return;
    const { kind, status, detail, retryAfterSeconds, forwarded } = error;
    const facts: LoadFailureFacts = { kind, status, detail, retryAfterSeconds, forwarded };
    await this.store.set(failureKey(key), Buffer.from(JSON.stringify(facts)), SHARED_FAILURE_TTL_MS).catch(ignore);
  }

  /** The value another replica stored, null to try for the lock again; throws the holder's failure. */
  private async awaitOtherReplica(key: string, holdMs: number, since: number): Promise<T | null> {
    const deadline = Date.now() + holdMs;
    while (Date.now() < deadline) {
      await pause(POLL_MS);
      const { value, available } = await this.options.find(key, since);
      if (value !== null) return value;
      if (!available) return null;
      let failure: LoadFailure | undefined;
      try {
        if (await this.store.isLocked(key)) continue;
        // Read after the lock is seen gone: the holder writes its failure before releasing it.
        failure = sharedFailure(await this.store.get(failureKey(key)));
      } catch {
        return null;
      }
      // No failure: the holder's lease lapsed (it died, or held it longer than holdMs), so try again.
      if (!failure) return null;
      throw failure;
    }
    return null;
  }
}

/**
 * The failure a holder left, if the record is one: a replica of another version (during a rolling
 * deploy) may have left a record of another shape, and its waiters then load for themselves.
 */
function sharedFailure(raw: Buffer | null): LoadFailure | undefined {
  if (!raw) return undefined;
  const facts = JSON.parse(raw.toString()) as Partial<LoadFailureFacts>;
  const { kind, status, detail, retryAfterSeconds, forwarded } = facts;
  if (typeof kind !== 'string' || typeof status !== 'number' || typeof detail !== 'string') return undefined;
  return new LoadFailure({
    kind,
    status,
    detail,
    retryAfterSeconds: typeof retryAfterSeconds === 'number' ? retryAfterSeconds : undefined,
    forwarded: forwarded !== false,
  });
}

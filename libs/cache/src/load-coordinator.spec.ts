import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SharedStore } from './shared-store.js';
import { LoadCoordinator, OwnFailure, type Loader } from './load-coordinator.js';
import { LoadFailure } from './load-failure.js';
import { MemoryStore } from './memory.store.js';

const KEY = 'flow:1';
/** Long enough that no test here reaches it unless it means to. */
const HOLD_MS = 10_000;

/** One replica: its own coordinator over the store the replicas share, finding what any of them stored. */
function replica(store: SharedStore): LoadCoordinator<string> {
  return new LoadCoordinator<string>(store, {
    find: async (key, since) => {
      const raw = await store.get(key);
      if (!raw) return { value: null, available: true };
      const { value, storedAt } = JSON.parse(raw.toString()) as { value: string; storedAt: number };
      return { value: storedAt >= since ? value : null, available: true };
    },
    onLeaseLapsed: () => undefined,
  });
}

const entry = (value: string, storedAt = Date.now()) => Buffer.from(JSON.stringify({ value, storedAt }), 'utf8');

/** Loads that count themselves, store their value where every replica finds it, and end when the test says. */
class Loads {
  count = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly shared: SharedStore) {}

  of(value: string, failure?: unknown): Loader<string> {
    return async (stored) => {
      this.count += 1;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (failure !== undefined) throw failure;
      await this.shared.set(KEY, entry(value), 60_000);
      await stored();
      return value;
    };
  }

  /** Ends every load started so far. */
  end(): void {
    this.waiting.splice(0).forEach((resolve) => resolve());
  }
}

/** A load that never ends, as a holder's that died mid-call. */
const stuck: Loader<string> = () => new Promise<string>(() => undefined);

const turns = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  vi.useRealTimers();
});

describe('LoadCoordinator', () => {
  it('loads once for any number of concurrent callers in one replica, and releases the lock once stored', async () => {
    const shared = new MemoryStore(1024 * 1024);
    const coordinator = replica(shared);
    const loads = new Loads(shared);
    const callers = Array.from({ length: 50 }, (_, i) => coordinator.load(KEY, HOLD_MS, loads.of(`caller ${i}`)));
    await turns(5);
    expect(coordinator.loading(KEY)).toBe(true);
    loads.end();
    expect(await Promise.all(callers)).toEqual(Array(50).fill('caller 0'));
    expect(loads.count).toBe(1);
    expect(coordinator.loading(KEY)).toBe(false);
    expect(await shared.isLocked(KEY)).toBe(false);
  });

  it('loads once across replicas: the others wait for the value the lock holder stored', async () => {
    const shared = new MemoryStore(1024 * 1024);
    const [a, b] = [replica(shared), replica(shared)];
    const loads = new Loads(shared);
    const first = a.load(KEY, HOLD_MS, loads.of('from a'));
    await turns(5);
    const waiting = Array.from({ length: 10 }, () => b.load(KEY, HOLD_MS, loads.of('from b')));
    // Several of b's polls see the lock held.
    await turns(100);
    loads.end();
    expect(await first).toBe('from a');
    expect(await Promise.all(waiting)).toEqual(Array(10).fill('from a'));
    expect(loads.count).toBe(1);
  });

  it('answers a forced load only with a value stored after it began', async () => {
    const shared = new MemoryStore(1024 * 1024);
    await shared.set(KEY, entry('older', Date.now() - 1_000), 60_000);
    const [a, b, c] = [replica(shared), replica(shared), replica(shared)];
    const loads = new Loads(shared);
    const holder = a.load(KEY, HOLD_MS, loads.of('newer'));
    await turns(5);
    const forced = b.reload(KEY, HOLD_MS, loads.of('from b'));
    // A plain miss takes what is stored; the forced load waits for the holder's value.
    expect(await c.load(KEY, HOLD_MS, loads.of('from c'))).toBe('older');
    await turns(50);
    loads.end();
    expect(await holder).toBe('newer');
    expect(await forced).toBe('newer');
    expect(loads.count).toBe(1);
  });

  describe('the lock, a lease its holder renews', () => {
    /** A replica's access to the shared store, which its death cuts: it neither renews nor releases. */
    const mortal = (shared: SharedStore) => {
      let dead = false;
      const access = new Proxy(shared, {
        get: (target, name) => {
          const member: unknown = Reflect.get(target, name);
          if (typeof member !== 'function') return member;
          return (...args: unknown[]) =>
            dead
              ? Promise.reject(new Error('the replica is dead'))
              : (member as (...a: unknown[]) => unknown).apply(target, args);
        },
      });
      return { access, die: () => (dead = true) };
    };

    const useFakeClock = () =>
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });

    it.each([
      // Before its first renewal: the 3 s lease it took.
      [500, 3_000],
      // After renewals at 1 s and 2 s, each for 3 s.
      [2_500, 5_000],
    ])(
      'passes to a waiting replica once a holder dead at %i ms has its lease run out at %i ms, not before',
      async (diesAt, leaseEnds) => {
        useFakeClock();
        const shared = new MemoryStore(1024 * 1024, () => Date.now());
        const holder = mortal(shared);
        const [a, b] = [replica(holder.access), replica(shared)];
        const loads = new Loads(shared);
        void a.load(KEY, HOLD_MS, stuck);
        await vi.advanceTimersByTimeAsync(10);
        const waiting = b.load(KEY, HOLD_MS, loads.of('from b'));
        await vi.advanceTimersByTimeAsync(diesAt - 10);
        holder.die();
        await vi.advanceTimersByTimeAsync(leaseEnds - diesAt - 100);
        expect(loads.count).toBe(0);
        // b takes the lock at its first poll after the lease ended.
        await vi.advanceTimersByTimeAsync(200);
        expect(loads.count).toBe(1);
        loads.end();
        expect(await waiting).toBe('from b');
      },
    );

    it('stays with a holder whose load outlasts the lease, so that the others wait for its value', async () => {
      useFakeClock();
      const shared = new MemoryStore(1024 * 1024, () => Date.now());
      const [a, b] = [replica(shared), replica(shared)];
      const loads = new Loads(shared);
      const first = a.load(KEY, HOLD_MS, loads.of('from a'));
      await vi.advanceTimersByTimeAsync(100);
      const waiting = b.load(KEY, HOLD_MS, loads.of('from b'));
      await vi.advanceTimersByTimeAsync(8_000);
      expect(loads.count).toBe(1);
      loads.end();
      await vi.advanceTimersByTimeAsync(100);
      expect(await first).toBe('from a');
      expect(await waiting).toBe('from a');
      expect(loads.count).toBe(1);
    });

    it('renews no lease past holdMs: a holder stuck longer lets another replica load', async () => {
      useFakeClock();
      const shared = new MemoryStore(1024 * 1024, () => Date.now());
      const [a, b] = [replica(shared), replica(shared)];
      const loads = new Loads(shared);
      void a.load(KEY, 2_000, stuck);
      await vi.advanceTimersByTimeAsync(10);
      const waiting = b.load(KEY, HOLD_MS, loads.of('from b'));
      // Renewed once, at 1 s, for 3 s; at 2 s, its holdMs, no more.
      await vi.advanceTimersByTimeAsync(3_890);
      expect(loads.count).toBe(0);
      await vi.advanceTimersByTimeAsync(200);
      expect(loads.count).toBe(1);
      loads.end();
      expect(await waiting).toBe('from b');
    });
  });

  describe('a failed holder', () => {
    it('leaves its failure to the callers waiting for it, in its replica and in others, who do not load again', async () => {
      const shared = new MemoryStore(1024 * 1024);
      const [a, b] = [replica(shared), replica(shared)];
      const loads = new Loads(shared);
      const failure = new LoadFailure({
        kind: 'upstream-unavailable',
        status: 503,
        detail: 'circuit open',
        retryAfterSeconds: 8,
        forwarded: false,
      });
      const starter = a.load(KEY, HOLD_MS, loads.of('from a', failure));
      await turns(5);
      const joiner = a.load(KEY, HOLD_MS, loads.of('joiner'));
      const other = b.load(KEY, HOLD_MS, loads.of('from b'));
      await turns(50);
      loads.end();
      await expect(starter).rejects.toBe(failure);
      await expect(joiner).rejects.toBe(failure);
      const told = await other.catch((error: unknown) => error);
      expect(told).toBeInstanceOf(LoadFailure);
      expect(told).toMatchObject({
        kind: 'upstream-unavailable',
        status: 503,
        detail: 'circuit open',
        retryAfterSeconds: 8,
        forwarded: false,
      });
      expect(loads.count).toBe(1);
    });

    it.each([
      ['its own failure', new OwnFailure(new Error('over its client’s share'))],
      ['a failure of the caller’s making', new LoadFailure({ kind: 'bad', status: 400, detail: '', forwarded: true })],
      ['an error that is no failure of a load', new Error('a bug')],
    ])('shares not %s: the others load once more for themselves', async (_case, thrown) => {
      const shared = new MemoryStore(1024 * 1024);
      const [a, b] = [replica(shared), replica(shared)];
      const loads = new Loads(shared);
      const starter = a.load(KEY, HOLD_MS, loads.of('from a', thrown)).catch((error: unknown) => error);
      await turns(5);
      const other = b.load(KEY, HOLD_MS, loads.of('again'));
      await turns(50);
      loads.end();
      expect(await starter).toBe(thrown instanceof OwnFailure ? thrown.failure : thrown);
      // b polls until the lock is gone, finds no failure, and loads.
      await turns(50);
      loads.end();
      expect(await other).toBe('again');
      expect(loads.count).toBe(2);
      expect(await shared.get(`${KEY}:failed`)).toBeNull();
    });

    it('lets the callers that joined a load failed for its starter alone load for themselves, once', async () => {
      const shared = new MemoryStore(1024 * 1024);
      const coordinator = replica(shared);
      const loads = new Loads(shared);
      const own = new Error('over its client’s share');
      const starter = coordinator.load(KEY, HOLD_MS, loads.of('starter', new OwnFailure(own)));
      await turns(5);
      const joiners = Array.from({ length: 3 }, (_, i) => coordinator.load(KEY, HOLD_MS, loads.of(`joiner ${i}`)));
      loads.end();
      await expect(starter).rejects.toBe(own);
      await turns(5);
      loads.end();
      expect(await Promise.all(joiners)).toEqual(Array(3).fill('joiner 0'));
      expect(loads.count).toBe(2);
    });
  });
});

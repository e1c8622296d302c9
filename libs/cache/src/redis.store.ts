import { randomUUID } from 'node:crypto';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { SharedStore, StoreHealth } from './shared-store.js';

export type RedisConnection =
  | { mode: 'standalone'; url: string }
  | {
      mode: 'sentinel';
      sentinels: Array<{ host: string; port: number }>;
      name: string;
      password?: string;
      tls: boolean;
    }
  | { mode: 'cluster'; nodes: Array<{ host: string; port: number }>; password?: string; tls: boolean };

export interface RedisStoreOptions {
  connection: RedisConnection;
  /** Longest a command may take before the caller goes on without the cache. */
  commandTimeoutMs: number;
  /** Called once per change of health; a degradation's cause never carries the password. */
  onHealthChange?: (health: StoreHealth) => void;
}

type Fault = Extract<StoreHealth, { state: 'degraded' }>;

interface ScriptCommands {
  countHits(key: string, windowMs: number, hits: number): Promise<[number, number]>;
  unlockIfOwner(key: string, token: string): Promise<number>;
}

const COUNT_HITS = `local hits = redis.call('incrby', KEYS[1], ARGV[2])
if hits == tonumber(ARGV[2]) then redis.call('pexpire', KEYS[1], ARGV[1]) end
return {hits, redis.call('pttl', KEYS[1])}`;

const UNLOCK_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

const RENEW_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/** How often the store asks Redis whether it answers: a frozen Redis shows as degraded well within a second. */
const CHECK_INTERVAL_MS = 250;
const CLUSTER_SLOTS = 16_384;
const CONNECTING: Fault = { state: 'degraded', reason: 'connecting', cause: 'not connected yet' };

/**
 * Redis that never makes a request wait long. Every command has a deadline of its own, started
 * when it is issued, so nothing that holds it inside ioredis (a Cluster retrying it through a
 * failover, a connection to a frozen server) keeps it past the command timeout. There is no offline queue and no retry: a command fails at once while disconnected.
 * Once one command times out, or the connection or a cluster master is lost, the store is
 * degraded and the commands a request waits on fail at once until a check finds Redis answering
 * again, so a request waits for a Redis that stopped answering at most one timeout, however many
 * commands it makes.
 */
export class RedisStore implements SharedStore {
  readonly kind = 'redis';
  private readonly client: Redis | Cluster;
  private readonly commandTimeoutMs: number;
  private readonly onHealthChange: (health: StoreHealth) => void;
  private readonly secrets: string[];
  private current: StoreHealth = CONNECTING;
  private everReady = false;
  /** The connection's last error, until it is ready again: why it is not. */
  private connectionError?: Fault;
  /** The last error of each cluster node, by host:port: why a master is unreachable. */
  private readonly nodeErrors = new Map<string, Error>();
  private readonly upWaiters = new Set<() => void>();
  private checkTimer?: NodeJS.Timeout;
  private checking = false;
  private closed = false;

  constructor(options: RedisStoreOptions) {
    this.commandTimeoutMs = options.commandTimeoutMs;
    this.onHealthChange = options.onHealthChange ?? (() => undefined);
    // No ioredis commandTimeout: the store's own deadline covers each command from its issue on.
    // No auto-pipelining either: it held commands behind a pipeline a frozen server or a failed
    // master never answered, and it costs a GET more client CPU than it saves (bench/redis-store.mjs:
    // without it, 0.4x the CPU per GET at 1 caller, 0.7x to 0.9x at 32).
    const common: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: Math.max(options.commandTimeoutMs, 1_000),
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2_000),
    };
    const { connection } = options;
    switch (connection.mode) {
      case 'standalone':
        this.secrets = urlSecrets(connection.url);
        this.client = new Redis(connection.url, common);
        break;
      case 'sentinel':
        this.secrets = connection.password ? [connection.password] : [];
        this.client = new Redis({
          ...common,
          sentinels: connection.sentinels,
          name: connection.name,
          // A master that froze keeps its connection open: without the Sentinels' word that it
          // was replaced, the store would wait for it to thaw rather than go to the new one.
          failoverDetector: true,
          sentinelCommandTimeout: options.commandTimeoutMs,
          ...(connection.password !== undefined && { password: connection.password }),
          ...(connection.tls && { tls: {} }),
        });
        break;
      case 'cluster':
        this.secrets = connection.password ? [connection.password] : [];
        this.client = new Cluster(connection.nodes, {
          enableOfflineQueue: false,
          clusterRetryStrategy: common.retryStrategy,
          redisOptions: {
            ...common,
            ...(connection.password !== undefined && { password: connection.password }),
            ...(connection.tls && { tls: {} }),
          },
        });
        // A cluster stays ready with a master gone: its nodes' errors and losses are watched here.
        this.client.on('node error', (error: Error, key: string) => {
          this.nodeErrors.set(key, error);
          this.checkNow();
        });
        this.client.on('-node', () => this.checkNow());
        break;
    }
    // Without a listener an 'error' event would crash the process.
    this.client.on('error', (error: Error) => {
      this.connectionError = this.fault(reasonOf(error), error.message);
      this.checkNow();
    });
    this.client.on('close', () => this.checkNow());
    this.client.on('ready', () => {
      this.everReady = true;
      this.connectionError = undefined;
      this.checkNow();
    });
    // Scripts go by SHA after their first use, not as text on every call.
    this.client.defineCommand('countHits', { numberOfKeys: 1, lua: COUNT_HITS });
    this.client.defineCommand('unlockIfOwner', { numberOfKeys: 1, lua: UNLOCK_IF_OWNER });
    this.scheduleCheck();
  }

  get(key: string): Promise<Buffer | null> {
    return this.command('GET', () => this.client.getBuffer(key));
  }

  /** Tried even while degraded, as unlock is: no request waits for a write, and Redis may be back. */
  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    await this.withinTimeout('SET', this.client.set(key, value, 'PX', Math.max(1, Math.ceil(ttlMs))));
  }

  async tryLock(key: string, ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const taken = await this.command('SET NX', () =>
      this.client.set(lockKey(key), token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'),
    );
    return taken === 'OK' ? token : null;
  }

  async unlock(key: string, token: string): Promise<void> {
    await this.withinTimeout('unlock', (this.client as unknown as ScriptCommands).unlockIfOwner(lockKey(key), token));
  }

  /** By EVAL: a holder renews about once a second, too seldom for the script's SHA to matter. */
  async renewLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    const renewed = await this.command('renew', () =>
      this.client.eval(RENEW_IF_OWNER, 1, lockKey(key), token, Math.max(1, Math.ceil(ttlMs))),
    );
    return renewed === 1;
  }

  async isLocked(key: string): Promise<boolean> {
    return (await this.command('EXISTS', () => this.client.exists(lockKey(key)))) === 1;
  }

  async countHits(key: string, windowMs: number, hits = 1): Promise<{ hits: number; resetInMs: number }> {
    const [total, resetInMs] = await this.command('countHits', () =>
      (this.client as unknown as ScriptCommands).countHits(key, Math.max(1, Math.ceil(windowMs)), hits),
    );
    return { hits: total, resetInMs: Math.max(0, resetInMs) };
  }

  health(): StoreHealth {
    return this.current;
  }

  waitUntilUp(timeoutMs: number): Promise<boolean> {
    if (this.current.state === 'up') return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (up: boolean) => {
        clearTimeout(timer);
        this.upWaiters.delete(onUp);
        resolve(up);
      };
      const onUp = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.upWaiters.add(onUp);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.checkTimer);
    try {
      // A frozen server never answers QUIT: a shutdown must not wait for it.
      await this.withinTimeout('QUIT', this.client.quit());
    } catch {
      this.client.disconnect();
    }
  }

  /**
   * For the commands a request waits on: fails at once while degraded; otherwise Redis's answer,
   * or a rejection once the command timeout is up.
   */
  private command<T>(name: string, run: () => Promise<T>): Promise<T> {
    if (this.current.state !== 'up') return Promise.reject(new Error(`Redis is degraded (${this.current.reason})`));
    return this.withinTimeout(name, run());
  }

  private withinTimeout<T>(name: string, pending: Promise<T>): Promise<T> {
    const issuedUp = this.current.state === 'up';
    return new Promise((resolve, reject) => {
      let settled = false;
      const timedOut = () => {
        if (settled) return;
        const fault = this.fault('timeout', `no answer to ${name} within ${this.commandTimeoutMs} ms`);
        // Only a command sent to a Redis deemed up says something new by timing out: one tried
        // while degraded (a write) may still be held by the failure the checks already saw.
        if (issuedUp && this.current.state === 'up') this.setHealth(fault);
        reject(new CommandTimeoutError(fault.cause));
      };
      // Timers run before the loop reads its sockets: after a stall of the event loop (a burst of
      // requests, a long collection), the answer Redis sent meanwhile is read first (as much of it
      // as one poll reads, 2 MiB), and only a command still
      // unanswered then has timed out. Without it, a stall looked like a silent
      // Redis, and turned the store degraded and every replica's lock its own.
      const timer = setTimeout(() => setImmediate(timedOut), this.commandTimeoutMs);
      pending.then(
        (value) => {
          settled = true;
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          settled = true;
          clearTimeout(timer);
          reject(error as Error);
        },
      );
    });
  }

  private scheduleCheck(): void {
    if (this.closed) return;
    clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(() => this.checkNow(), CHECK_INTERVAL_MS);
    // The checks alone must not keep a process alive.
    this.checkTimer.unref();
  }

  /** Settles the store's health now, then again every CHECK_INTERVAL_MS: up only when Redis answers in time. */
  private checkNow(): void {
    if (this.closed) return;
    const lost = this.connectionFault();
    if (lost) this.setHealth(lost);
    if (this.checking) return;
    this.checking = true;
    void (lost ? Promise.resolve(lost) : this.probe())
      .then((fault) => {
        if (!this.closed) this.setHealth(this.connectionFault() ?? fault ?? { state: 'up' });
      })
      .finally(() => {
        this.checking = false;
        this.scheduleCheck();
      });
  }

  private connectionFault(): Fault | undefined {
    if (this.client.status === 'ready') return undefined;
    if (this.connectionError) return this.connectionError;
    return this.everReady ? this.fault('connection lost', `connection ${this.client.status}`) : CONNECTING;
  }

  private async probe(): Promise<Fault | undefined> {
    if (this.client instanceof Cluster) return this.probeCluster(this.client);
    try {
      await this.withinTimeout('PING', this.client.ping());
      return undefined;
    } catch (error) {
      return this.fault(reasonOf(error as Error), (error as Error).message);
    }
  }

  /** Every slot has a master, and every master answers that the cluster is ok. */
  private async probeCluster(cluster: Cluster): Promise<Fault | undefined> {
    const masters = new Map(cluster.nodes('master').map((node) => [`${node.options.host}:${node.options.port}`, node]));
    const owners = new Set<string>();
    for (let slot = 0; slot < CLUSTER_SLOTS; slot += 1) {
      const owner = cluster.slots[slot]?.[0];
      if (owner === undefined) return this.fault('cluster slots uncovered', `slot ${slot} has no master`);
      owners.add(owner);
    }
    const failures = await Promise.all(
      [...owners].map(async (owner) => {
        const node = masters.get(owner);
        const lastError = this.nodeErrors.get(owner)?.message;
        if (!node)
          return this.fault('cluster node down', `master ${owner} is gone${lastError ? `: ${lastError}` : ''}`);
        try {
          // Not PING: a master answers it while it still refuses commands with CLUSTERDOWN,
          // which ioredis retries until they time out.
          const info = (await this.withinTimeout(`CLUSTER INFO to ${owner}`, node.call('CLUSTER', 'INFO'))) as string;
          if (!info.includes('cluster_state:ok'))
            return this.fault('cluster down', `master ${owner}: cluster_state is not ok`);
          this.nodeErrors.delete(owner);
          return undefined;
        } catch (error) {
          const reason = error instanceof CommandTimeoutError ? 'timeout' : 'cluster node down';
          return this.fault(reason, `master ${owner}: ${(error as Error).message}`);
        }
      }),
    );
    const failure = failures.find((fault) => fault !== undefined);
    // Until Redis promotes a replica, the slot table names the lost master; ask again for the promoted one.
    if (failure) cluster.refreshSlotsCache();
    return failure;
  }

  private fault(reason: string, cause: string): Fault {
    return {
      state: 'degraded',
      reason,
      cause: this.secrets.reduce((text, secret) => text.replaceAll(secret, '***'), cause),
    };
  }

  private setHealth(next: StoreHealth): void {
    const previous = this.current;
    if (previous.state === next.state && (next.state === 'up' || (previous as Fault).reason === next.reason)) return;
    this.current = next;
    this.onHealthChange(next);
    if (next.state === 'up') for (const waiter of this.upWaiters) waiter();
  }
}

class CommandTimeoutError extends Error {}

/** The short reason readiness gives for an error of the connection or of a command. */
function reasonOf(error: Error): string {
  if (error instanceof CommandTimeoutError) return 'timeout';
  if (/^(WRONGPASS|NOAUTH)\b|invalid password|^ERR AUTH\b/i.test(error.message)) return 'auth';
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ETIMEDOUT':
      return 'timeout';
    default:
      return 'connection lost';
  }
}

/** The password a redis:// URL carries, as it may appear in an error. */
function urlSecrets(url: string): string[] {
  try {
    const { password } = new URL(url);
    return [password, decodeURIComponent(password)].filter((part) => part !== '');
  } catch {
    return [];
  }
}

// A hash tag keeps an entry and its lock on one cluster slot.
const lockKey = (key: string) => `{${key}}:lock`;

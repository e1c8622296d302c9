import { randomUUID } from 'node:crypto';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { CacheStore } from './cache-store.js';

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
  onError?: (error: Error) => void;
}

interface ScriptCommands {
  countHits(key: string, windowMs: number, hits: number): Promise<[number, number]>;
  unlockIfOwner(key: string, token: string): Promise<number>;
}

const COUNT_HITS = `local hits = redis.call('incrby', KEYS[1], ARGV[2])
if hits == tonumber(ARGV[2]) then redis.call('pexpire', KEYS[1], ARGV[1]) end
return {hits, redis.call('pttl', KEYS[1])}`;

const UNLOCK_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

const RENEW_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * Redis that never makes a request wait long: no offline queue and no retries (a command fails at
 * once while disconnected), a command timeout (a frozen server), and reconnection in the
 * background.
 */
export class RedisStore implements CacheStore {
  readonly kind = 'redis';
  private readonly client: Redis | Cluster;

  constructor(options: RedisStoreOptions) {
    const common: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: Math.max(options.commandTimeoutMs, 1_000),
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2_000),
      // Commands issued in the same tick by concurrent requests go out as one write.
      enableAutoPipelining: true,
    };
    const { connection } = options;
    switch (connection.mode) {
      case 'standalone':
        this.client = new Redis(connection.url, common);
        break;
      case 'sentinel':
        this.client = new Redis({
          ...common,
          sentinels: connection.sentinels,
          name: connection.name,
          ...(connection.password !== undefined && { password: connection.password }),
          ...(connection.tls && { tls: {} }),
        });
        break;
      case 'cluster':
        this.client = new Cluster(connection.nodes, {
          enableOfflineQueue: false,
          enableAutoPipelining: true,
          clusterRetryStrategy: common.retryStrategy,
          redisOptions: {
            ...common,
            ...(connection.password !== undefined && { password: connection.password }),
            ...(connection.tls && { tls: {} }),
          },
        });
        break;
    }
    // Without a listener an 'error' event would crash the process.
    this.client.on('error', (error: Error) => options.onError?.(error));
    // Scripts go by SHA after their first use, not as text on every call.
    this.client.defineCommand('countHits', { numberOfKeys: 1, lua: COUNT_HITS });
    this.client.defineCommand('unlockIfOwner', { numberOfKeys: 1, lua: UNLOCK_IF_OWNER });
  }

  get(key: string): Promise<Buffer | null> {
    return this.client.getBuffer(key);
  }

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    await this.client.set(key, value, 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async tryLock(key: string, ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const taken = await this.client.set(lockKey(key), token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
    return taken === 'OK' ? token : null;
  }

  async unlock(key: string, token: string): Promise<void> {
    await (this.client as unknown as ScriptCommands).unlockIfOwner(lockKey(key), token);
  }

  /** By EVAL: a holder renews about once a second, too seldom for the script's SHA to matter. */
  async renewLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.client.eval(RENEW_IF_OWNER, 1, lockKey(key), token, Math.max(1, Math.ceil(ttlMs)))) === 1;
  }

  async isLocked(key: string): Promise<boolean> {
    return (await this.client.exists(lockKey(key))) === 1;
  }

  async countHits(key: string, windowMs: number, hits = 1): Promise<{ hits: number; resetInMs: number }> {
    const [total, resetInMs] = await (this.client as unknown as ScriptCommands).countHits(
      key,
      Math.max(1, Math.ceil(windowMs)),
      hits,
    );
    return { hits: total, resetInMs: Math.max(0, resetInMs) };
  }

  isUp(): boolean {
    return this.client.status === 'ready';
  }

  waitUntilUp(timeoutMs: number): Promise<boolean> {
    if (this.isUp()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (up: boolean) => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        resolve(up);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.client.once('ready', onReady);
    });
  }

  async close(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}

// A hash tag keeps an entry and its lock on one cluster slot.
const lockKey = (key: string) => `{${key}}:lock`;

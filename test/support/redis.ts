import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import type { CacheConfig } from '../../apps/gateway/src/config/gateway.config.js';
import { memoryCache } from './gateway.js';

export const SHARED_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own per test, so runs sharing one Redis never see each other's entries. */
export const uniquePrefix = () => `test-${randomUUID()}`;

export function redisCache(url = SHARED_REDIS_URL, overrides: Partial<CacheConfig> = {}): CacheConfig {
  return memoryCache({
    store: { kind: 'redis', connection: { mode: 'standalone', url }, commandTimeoutMs: 250 },
    keyPrefix: uniquePrefix(),
    ...overrides,
  });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface OwnRedisOptions {
  /** Started with --requirepass; the probe authenticates with it. */
  password?: string;
  /** More redis-server arguments, such as a Cluster node's. */
  args?: string[];
  /** A configuration file, which redis-server takes before any argument (a Sentinel needs one it may rewrite). */
  configFile?: string;
}

/** A redis-server of the test's own, which it may freeze and kill. */
export class OwnRedis {
  private process?: ChildProcess;
  constructor(
    readonly port: number,
    private readonly options: OwnRedisOptions = {},
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** On a free port; another process may take a port between freePort and the bind, so a few are tried. */
  static async launch(options: OwnRedisOptions = {}): Promise<OwnRedis> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const redis = new OwnRedis(await freePort(), options);
      try {
        await redis.start();
        return redis;
      } catch (error) {
        lastError = error;
        await redis.kill();
      }
    }
    throw lastError;
  }

  /**
   * Answers once this process, and no other on the port, answers: a redis-server that could not
   * bind exits, and a probe would otherwise reach whoever holds the port.
   */
  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        ...(this.options.configFile === undefined ? [] : [this.options.configFile]),
        ...['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        ...(this.options.password === undefined ? [] : ['--requirepass', this.options.password]),
        ...(this.options.args ?? []),
      ],
      {
        stdio: 'ignore',
      },
    );
    this.process = child;
    const probe = new Redis(this.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      ...(this.options.password !== undefined && { password: this.options.password }),
    });
    probe.on('error', () => undefined);
    try {
      for (let attempt = 0; attempt < 100 && child.exitCode === null; attempt += 1) {
        try {
          await probe.connect();
          const pid = /^process_id:(\d+)/m.exec(await probe.info('server'))?.[1];
          if (Number(pid) === child.pid) return;
          throw new Error(`port ${this.port} is held by another redis-server (pid ${pid})`);
        } catch (error) {
          if ((error as Error).message.startsWith('port ')) throw error;
          await sleep(50);
        }
      }
      throw new Error(`redis-server on ${this.port} did not start (exit code ${child.exitCode})`);
    } finally {
      probe.disconnect();
    }
  }

  get running(): boolean {
    return this.process?.exitCode === null && this.process.signalCode === null;
  }

  freeze(): void {
    this.process?.kill('SIGSTOP');
  }

  thaw(): void {
    this.process?.kill('SIGCONT');
  }

  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * A redis-server of the describe block's own: launched before its tests, thawed and killed after
 * them. What it returns stands for the server once launched.
 */
export function useOwnRedis(options: OwnRedisOptions = {}): OwnRedis {
  let redis: OwnRedis | undefined;
  beforeAll(async () => {
    redis = await OwnRedis.launch(options);
  });
  afterAll(async () => {
    redis?.thaw();
    await redis?.kill();
  });
  return new Proxy({} as OwnRedis, {
    get(_target, property) {
      if (!redis) throw new Error('the redis-server starts in beforeAll');
      const value: unknown = Reflect.get(redis, property);
      return typeof value === 'function' ? value.bind(redis) : value;
    },
  });
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '@app/cache';
import { flowCacheKey } from '../apps/gateway/src/cache/flow-cache.service.js';
import type { CacheConfig } from '../apps/gateway/src/config/gateway.config.js';
import { CapturingLogger, REST_ACCOUNT, demoAccounts, type RunningGateway } from './support/gateway.js';
import { OwnRedisCluster } from './support/redis-cluster.js';
import { OwnRedis, SHARED_REDIS_URL, redisCache, uniquePrefix, useOwnRedis } from './support/redis.js';
import { DEMO_IDS } from './support/simulator.js';
import { useTestbed } from './support/testbed.js';
import { flowPath } from './support/paths.js';

const testbed = useTestbed();

const COMMAND_TIMEOUT_MS = 250;
/** Room for the gateway's own work and a busy machine, well below a second command timeout. */
const SLACK_MS = 200;
const IDS = [DEMO_IDS.claim, DEMO_IDS.callback, DEMO_IDS.empty, DEMO_IDS.medium];

const PATHS = IDS.flatMap((id) => [flowPath(REST_ACCOUNT, id), flowPath(REST_ACCOUNT, id, '?widerSearch=true')]);

const standalone = (url: string): CacheConfig =>
  redisCache(url, {
    store: { kind: 'redis', connection: { mode: 'standalone', url }, commandTimeoutMs: COMMAND_TIMEOUT_MS },
  });

const cacheHealth = async (gw: RunningGateway) =>
  (await gw.admin().get('/health/ready').expect(200)).body.details.cache as Record<string, string>;

/** Polls readiness until the cache reports as wanted; resolves how long it took, or fails past withinMs. */
async function cacheBecomes(gw: RunningGateway, wanted: Record<string, string>, withinMs: number): Promise<number> {
  const started = performance.now();
  let last: Record<string, string> = {};
  while (performance.now() - started < withinMs) {
    last = await cacheHealth(gw);
    if (Object.entries(wanted).every(([key, value]) => last[key] === value)) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(
    `the cache never reported ${JSON.stringify(wanted)} within ${withinMs} ms; last ${JSON.stringify(last)}`,
  );
}

/**
 * Rounds of concurrent requests over several keys, each timed, for so many rounds or until
 * stopped; a miss or hit alike must answer 200.
 */
async function timedLoad(gw: RunningGateway, rounds: number, stopped = () => false): Promise<number[]> {
  const times: number[] = [];
  for (let round = 0; round < rounds && !stopped(); round += 1) {
    await Promise.all(
      PATHS.map(async (path) => {
        const started = performance.now();
        const response = await gw.http().get(path);
        times.push(performance.now() - started);
        expect(response.status).toBe(200);
      }),
    );
  }
  return times;
}

/** What the gateway said of Redis's state, in order: one line per change. */
const redisStates = (logger: CapturingLogger) =>
  logger.lines.flatMap((line) => /Redis (answers|degraded \([a-z ]+)/.exec(line)?.[1] ?? []);

/**
 * The slowest of two rounds of concurrent forced refreshes, as many as a round of load: the
 * upstream calls and the gateway's own work at that concurrency, without a Redis read.
 */
async function upstreamMs(gw: RunningGateway): Promise<number> {
  let slowest = 0;
  for (let round = 0; round < 2; round += 1) {
    await Promise.all(
      PATHS.map(async (path) => {
        const started = performance.now();
        await gw.http().get(path).set('cache-control', 'no-cache').expect(200);
        slowest = Math.max(slowest, performance.now() - started);
      }),
    );
  }
  return slowest;
}

describe('a single Redis that freezes, thaws, dies and comes back', () => {
  const redis = useOwnRedis();

  it('holds no request past the command timeout plus the upstream call, and readiness says why', async () => {
    const logger = new CapturingLogger();
    const gw = await testbed.gateway({ cache: standalone(redis.url) }, {}, { logger });
    expect(await cacheHealth(gw)).toEqual({ status: 'up', store: 'redis', state: 'up' });
    const upstream = await upstreamMs(gw);
    const bound = COMMAND_TIMEOUT_MS + upstream + SLACK_MS;

    // Frozen mid-load: the requests in flight when it stops answering, and every one after.
    redis.freeze();
    const [frozenTimes, detectedMs] = await Promise.all([
      timedLoad(gw, 4),
      cacheBecomes(gw, { state: 'degraded', reason: 'timeout' }, 1_000),
    ]);
    expect(Math.max(...frozenTimes)).toBeLessThan(bound);
    expect(detectedMs).toBeLessThan(1_000);
    // Still for that reason after the load: the checks that keep timing out do not change it.
    expect(await cacheHealth(gw)).toMatchObject({ state: 'degraded', reason: 'timeout' });

    redis.thaw();
    await cacheBecomes(gw, { state: 'up' }, 1_000);
    await timedLoad(gw, 1);
    expect((await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200)).headers['cache-status']).toContain(
      '; hit;',
    );
    expect(redisStates(logger)).toEqual(['answers', 'degraded (timeout', 'answers']);

    // Killed: the connection drops, and reconnection is refused until it is back.
    const killed = redis.kill();
    const [deadTimes] = await Promise.all([
      timedLoad(gw, 4),
      cacheBecomes(gw, { state: 'degraded', reason: 'connection refused' }, 1_000),
    ]);
    await killed;
    expect(Math.max(...deadTimes)).toBeLessThan(bound);

    await redis.start();
    // Reconnection backs off up to 2 s between attempts.
    await cacheBecomes(gw, { state: 'up' }, 3_000);
  });
});

describe('a Redis that answers while the event loop is stalled', () => {
  it('is read once the stall is over, not taken for silent, though the stall outlasted the command timeout', async () => {
    const store = new RedisStore({
      connection: { mode: 'standalone', url: SHARED_REDIS_URL },
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    });
    try {
      expect(await store.waitUntilUp(3_000)).toBe(true);
      const key = uniquePrefix();
      await store.set(key, Buffer.from('answered'), 60_000);
      const read = store.get(key);
      // Synchronous work, as a burst of requests or a long collection holds the loop: Redis
      // answers at once, and its answer waits in the socket until the loop is free again.
      const until = performance.now() + 2 * COMMAND_TIMEOUT_MS;
      while (performance.now() < until);
      expect((await read)?.toString()).toBe('answered');
      expect(store.health()).toEqual({ state: 'up' });
    } finally {
      await store.close();
    }
  });
});

describe('a gateway shutting down while its Redis is frozen', () => {
  const redis = useOwnRedis();

  it('closes within the command timeout, its pending writes included', async () => {
    const gw = await testbed.gateway({ cache: standalone(redis.url) });
    redis.freeze();
    // Answered, then written after the answer: the write is pending in the frozen connection.
    await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).set('cache-control', 'no-cache').expect(200);
    const started = performance.now();
    await gw.close();
    expect(performance.now() - started).toBeLessThan(2 * COMMAND_TIMEOUT_MS + SLACK_MS);
  });
});

describe('a Redis that refuses the password', () => {
  const password = 'the-right-one';
  const redis = useOwnRedis({ password });

  it.each([
    ['a wrong password', 'canary-wrong-password', 'WRONGPASS'],
    ['no password', undefined, 'NOAUTH'],
  ])('with %s: logs the refusal once, never the password, and readiness says auth', async (_case, given, answer) => {
    const url = `redis://${given === undefined ? '' : `:${given}@`}127.0.0.1:${redis.port}`;
    const logger = new CapturingLogger();
    const gw = await testbed.gateway({ cache: standalone(url) }, {}, { logger });

    expect(await cacheHealth(gw)).toEqual({ status: 'up', store: 'redis', state: 'degraded', reason: 'auth' });
    const logged = logger.lines.join('\n');
    expect(logged).toContain(`Redis degraded (auth: ${answer}`);
    expect(logged).toContain(`Redis not usable after 3000 ms (auth: ${answer}`);
    expect(logged).not.toContain('did not answer');
    // ioredis retries the connection every few hundred ms: each refusal is the same state.
    expect(redisStates(logger)).toEqual(['degraded (auth']);
    if (given !== undefined) expect(logged).not.toContain(given);

    const response = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    expect(response.headers['cache-status']).toContain('fwd=miss; detail=cache-unavailable');
  });
});

describe('a Redis Cluster whose master dies under load', () => {
  let cluster: OwnRedisCluster;

  beforeAll(async () => {
    cluster = await OwnRedisCluster.launch();
  }, 60_000);
  afterAll(() => cluster?.close());

  it('holds no request past the command timeout plus the upstream call, and readiness follows the failover', async () => {
    const cache = redisCache(undefined, {
      store: {
        kind: 'redis',
        connection: {
          mode: 'cluster',
          nodes: cluster.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
          tls: false,
        },
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
      },
    });
    const logger = new CapturingLogger();
    const gw = await testbed.gateway({ cache }, {}, { logger });
    expect(await cacheHealth(gw)).toEqual({ status: 'up', store: 'redis', state: 'up' });
    const bound = COMMAND_TIMEOUT_MS + (await upstreamMs(gw)) + SLACK_MS;
    expect((await gw.http().get(PATHS[0]).expect(200)).headers['cache-status']).toContain('; hit;');

    // The master of the first history's entry dies, under load from before it until the failover is over.
    const victim = await cluster.masterOf(
      flowCacheKey(cache.keyPrefix, demoAccounts(testbed.simulator)[0], {
        kind: 'interactionId',
        value: DEMO_IDS.claim,
        widerSearch: false,
      }),
    );
    let failedOver = false;
    const load = timedLoad(gw, Infinity, () => failedOver);
    try {
      await timedLoad(gw, 1);
      await cluster.node(victim).kill();
      await cacheBecomes(gw, { state: 'degraded', reason: 'cluster node down' }, 1_000);
      // Redis promotes the replica after cluster-node-timeout (1 s) and an election.
      await cacheBecomes(gw, { state: 'up' }, 15_000);
    } finally {
      failedOver = true;
    }
    const times = await load;
    expect(Math.max(...times)).toBeLessThan(bound);
    const logged = logger.lines.join('\n');
    expect(logged).toContain(`Redis degraded (cluster node down: master 127.0.0.1:${victim}`);
    expect(logged).not.toContain('Redis degraded (timeout');
    // One line per change of state: during the election a surviving master may also say the
    // cluster is down, and the reason may go back and forth, but never up before the failover is over.
    const states = redisStates(logger);
    expect(states.slice(0, 2)).toEqual(['answers', 'degraded (cluster node down']);
    expect(states.at(-1)).toBe('answers');
    expect(states.slice(1, -1).every((state) => /^degraded \(cluster (node )?down$/.test(state))).toBe(true);
    expect(states.every((state, i) => state !== states[i - 1])).toBe(true);

    // The promoted replica serves the lost master's slots: entries are stored and hit again.
    await gw.http().get(PATHS[0]).expect(200);
    expect((await gw.http().get(PATHS[0]).expect(200)).headers['cache-status']).toContain('; hit;');
  });
});

describe('a Redis master under Sentinel that freezes and is replaced', () => {
  let dir: string;
  let master: OwnRedis;
  let replica: OwnRedis;
  let sentinel: OwnRedis;

  /** Polls a server's answer to one command until it passes the check; fails past withinMs. */
  async function until(port: number, command: string[], check: (answer: unknown) => boolean, withinMs: number) {
    const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    const deadline = Date.now() + withinMs;
    try {
      while (Date.now() < deadline) {
        if (check(await client.call(command[0], ...command.slice(1)).catch(() => undefined))) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`${command.join(' ')} on ${port} never passed within ${withinMs} ms`);
    } finally {
      client.disconnect();
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'redis-sentinel-'));
    // A master otherwise waits 5 s for more replicas before it sends the first sync.
    master = await OwnRedis.launch({ args: ['--repl-diskless-sync-delay', '0'] });
    // In the test's directory: a replica keeps what it receives in dump.rdb.
    replica = await OwnRedis.launch({ args: ['--replicaof', '127.0.0.1', String(master.port), '--dir', dir] });
    await until(
      replica.port,
      ['INFO', 'replication'],
      (info) => String(info).includes('master_link_status:up'),
      10_000,
    );
    const config = join(dir, 'sentinel.conf');
    await writeFile(
      config,
      [
        `sentinel monitor main 127.0.0.1 ${master.port} 1`,
        'sentinel down-after-milliseconds main 1000',
        'sentinel failover-timeout main 5000',
      ].join('\n'),
    );
    sentinel = await OwnRedis.launch({ configFile: config, args: ['--sentinel', '--dir', dir] });
    // A replica is promoted only once the Sentinel has seen it.
    await until(
      sentinel.port,
      ['SENTINEL', 'REPLICAS', 'main'],
      (replicas) => (replicas as unknown[]).length === 1,
      15_000,
    );
  }, 60_000);
  afterAll(async () => {
    master?.thaw();
    await Promise.all([master, replica, sentinel].map((node) => node?.kill()));
    await rm(dir, { recursive: true, force: true });
  });

  it('holds no request past the command timeout plus the upstream call, and moves to the promoted replica', async () => {
    const cache = redisCache(undefined, {
      store: {
        kind: 'redis',
        connection: {
          mode: 'sentinel',
          sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
          name: 'main',
          tls: false,
        },
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
      },
    });
    const gw = await testbed.gateway({ cache });
    expect(await cacheHealth(gw)).toEqual({ status: 'up', store: 'redis', state: 'up' });
    const bound = COMMAND_TIMEOUT_MS + (await upstreamMs(gw)) + SLACK_MS;

    let replaced = false;
    const load = timedLoad(gw, Infinity, () => replaced);
    try {
      await timedLoad(gw, 1);
      master.freeze();
      await cacheBecomes(gw, { state: 'degraded', reason: 'timeout' }, 1_000);
      // The Sentinel finds it down after a second and promotes the replica; the master stays frozen.
      await cacheBecomes(gw, { state: 'up' }, 15_000);
    } finally {
      replaced = true;
    }
    expect(Math.max(...(await load))).toBeLessThan(bound);

    await gw.http().get(PATHS[0]).expect(200);
    expect((await gw.http().get(PATHS[0]).expect(200)).headers['cache-status']).toContain('; hit;');
  });
});

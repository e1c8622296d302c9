import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { OwnRedis } from './redis.js';

const run = promisify(execFile);

/** One node as CLUSTER NODES lists it. */
interface ClusterNode {
  port: number;
  master: boolean;
  failed: boolean;
}

/**
 * A Redis Cluster of the test's own on loopback: three masters with a replica each, every replica
 * in sync before it is handed over. A master that stops answering is failed over after a second
 * (cluster-node-timeout) and an election, not Redis's default 15 s.
 */
export class OwnRedisCluster {
  private constructor(
    readonly nodes: OwnRedis[],
    private readonly dir: string,
  ) {}

  static async launch(): Promise<OwnRedisCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'redis-cluster-'));
    const nodes: OwnRedis[] = [];
    try {
      for (let index = 0; index < 6; index += 1) {
        nodes.push(
          await OwnRedis.launch({
            args: [
              ...['--cluster-enabled', 'yes', '--cluster-node-timeout', '1000'],
              // A master otherwise waits 5 s for more replicas before it sends the first sync.
              ...['--repl-diskless-sync-delay', '0'],
              ...['--cluster-config-file', join(dir, `nodes-${index}-${Date.now()}.conf`), '--dir', dir],
            ],
          }),
        );
      }
      const cluster = new OwnRedisCluster(nodes, dir);
      await run('redis-cli', [
        '--cluster',
        'create',
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ]);
      await cluster.until((listed) => listed.length === 6 && listed.filter((node) => node.master).length === 3, 20_000);
      return cluster;
    } catch (error) {
      await Promise.all(nodes.map((node) => node.kill()));
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The port of the master serving a key's slot. */
  async masterOf(key: string): Promise<number> {
    const client = this.client(this.nodes[0].port);
    try {
      const slot = (await client.call('CLUSTER', 'KEYSLOT', key)) as number;
      const slots = (await client.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
      const range = slots.find(([first, last]) => first <= slot && slot <= last);
      if (!range) throw new Error(`no master serves slot ${slot}`);
      return range[2][1];
    } finally {
      client.disconnect();
    }
  }

  node(port: number): OwnRedis {
    const node = this.nodes.find((candidate) => candidate.port === port);
    if (!node) throw new Error(`no node on ${port}`);
    return node;
  }

  /**
   * Polls until every live node answers with cluster_state:ok and its node list passes the
   * check; fails past withinMs.
   */
  async until(check: (nodes: ClusterNode[]) => boolean, withinMs: number): Promise<void> {
    const deadline = Date.now() + withinMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        if (await this.settled(check)) return;
      } catch (error) {
        last = (error as Error).message;
      }
      await sleep(100);
    }
    throw new Error(`the cluster did not settle within ${withinMs} ms ${last}`);
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    await rm(this.dir, { recursive: true, force: true });
  }

  private async settled(check: (nodes: ClusterNode[]) => boolean): Promise<boolean> {
    for (const node of this.nodes) {
      if (!node.running) continue;
      const client = this.client(node.port);
      try {
        const info = (await client.call('CLUSTER', 'INFO')) as string;
        if (!info.includes('cluster_state:ok')) return false;
        // A replica that never synced has no data young enough to take over its master's slots.
        const replication = await client.info('replication');
        if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
        const listed = ((await client.call('CLUSTER', 'NODES')) as string)
          .trim()
          .split('\n')
          .map((line) => {
            const [, address, flags] = line.split(' ');
            return {
              port: Number(/:(\d+)@/.exec(address)?.[1]),
              master: flags.split(',').includes('master'),
              failed: flags.split(',').includes('fail'),
            };
          });
        if (!check(listed)) return false;
      } finally {
        client.disconnect();
      }
    }
    return true;
  }

  private client(port: number): Redis {
    const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    return client;
  }
}

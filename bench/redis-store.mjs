// What the Redis store's deadline costs a cache hit, and what auto-pipelining saves: GETs of one
// cache entry's size, c concurrent callers, through four clients measured in turns in one run.
// Each figure is the median of the turns: GETs per second, and this process's CPU per GET, which
// moves less than throughput when other work shares the machine.
//   npm exec -- node bench/redis-store.mjs [--duration=<s>] [--turns=<n>] [--connections=<c>]   (after npm run build)
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisStore } from '../dist/libs/cache/src/redis.store.js';

const arg = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const seconds = arg('duration', 1.5);
const turns = arg('turns', 7);
const connections = arg('connections', 32);
const url = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const TIMEOUT_MS = 250;
const key = `bench-${randomUUID()}`;

/** The store's per-command deadline, as RedisStore applies it, over a bare ioredis call. */
const withDeadline = (pending) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), TIMEOUT_MS);
    pending.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error) => (clearTimeout(timer), reject(error)),
    );
  });

const bare = (enableAutoPipelining, commandTimeout) =>
  new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, enableAutoPipelining, commandTimeout });

const store = new RedisStore({ connection: { mode: 'standalone', url }, commandTimeoutMs: TIMEOUT_MS });
const apTimeout = bare(true, TIMEOUT_MS);
const apDeadline = bare(true, undefined);
const noApTimeout = bare(false, TIMEOUT_MS);
const noApDeadline = bare(false, undefined);
const bareClients = [apTimeout, apDeadline, noApTimeout, noApDeadline];
const clients = [
  ['auto-pipelining, ioredis commandTimeout (before)', (k) => apTimeout.getBuffer(k)],
  ['auto-pipelining, store deadline', (k) => withDeadline(apDeadline.getBuffer(k))],
  ['no auto-pipelining, ioredis commandTimeout', (k) => noApTimeout.getBuffer(k)],
  ['no auto-pipelining, store deadline', (k) => withDeadline(noApDeadline.getBuffer(k))],
  ['RedisStore as built', (k) => store.get(k)],
];

async function run(get) {
  let done = 0;
  const cpu = process.cpuUsage();
  const until = performance.now() + seconds * 1_000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) {
        await get(key);
        done += 1;
      }
    }),
  );
  const { user, system } = process.cpuUsage(cpu);
  return { rate: done / seconds, cpuUs: (user + system) / done };
}

await Promise.all(bareClients.map((client) => new Promise((resolve) => client.once('ready', resolve))));
await apTimeout.set(key, Buffer.alloc(6 * 1024, 'x'), 'PX', 600_000);
await store.waitUntilUp(3_000);
const runs = new Map(clients.map(([name]) => [name, []]));
for (let turn = 0; turn < turns; turn += 1) {
  for (const [name, get] of clients) runs.get(name).push(await run(get));
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const figures = (name) => ({
  rate: median(runs.get(name).map((r) => r.rate)),
  cpuUs: median(runs.get(name).map((r) => r.cpuUs)),
});
const before = figures(clients[0][0]);
console.log(`GET of 6 KiB, c=${connections}, ${turns} turns of ${seconds} s; medians, and ratios to "before"`);
for (const [name] of clients) {
  const { rate, cpuUs } = figures(name);
  const ratio = (value, base) => `${(value / base).toFixed(2)}x`;
  console.log(
    `${name.padEnd(50)} ${rate.toFixed(0).padStart(7)} GET/s ${ratio(rate, before.rate)}  ` +
      `${cpuUs.toFixed(1).padStart(5)} µs CPU/GET ${ratio(cpuUs, before.cpuUs)}`,
  );
}
await apTimeout.del(key);
for (const client of bareClients) client.disconnect();
await store.close();

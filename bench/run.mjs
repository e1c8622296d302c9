// The gateway's benchmark: `npm run bench` (builds first), or `npm exec -- node bench/run.mjs [--smoke]`
// against an existing build. Starts everything it measures on loopback ports, prints every figure
// next to its baseline and target, and writes bench/results/latest.json, where a run of some
// scenarios (--only) replaces theirs and keeps the others'. Missed targets are reported, not fatal:
// the exit code is non-zero only when the bench itself could not run.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import {
  GATEWAY_MAIN,
  ROOT,
  SIMULATOR_MAIN,
  killAllNow,
  startSimulator,
  stopAll,
  takeUnexpectedExits,
  tracingPreloaded,
  writeGatewayConfig,
} from './lib/processes.mjs';
import { formatTable } from './lib/report.mjs';
import { cacheHit } from './scenarios/cache-hit.mjs';
import { largeHistory } from './scenarios/large-history.mjs';
import { missPath } from './scenarios/miss-path.mjs';
import { photoStream } from './scenarios/photo-stream.mjs';
import { thunderingHerd } from './scenarios/thundering-herd.mjs';

const SCENARIOS = {
  'cache-hit': cacheHit,
  'miss-path': missPath,
  'large-history': largeHistory,
  'thundering-herd': thunderingHerd,
  'photo-stream': photoStream,
};
const RESULTS_FILE = fileURLToPath(new URL('./results/latest.json', import.meta.url));

function positive(name, raw, fallback) {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value > 0)) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function readOptions() {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      duration: { type: 'string' },
      only: { type: 'string' },
    },
  });
  const env = process.env;
  const duration = positive('--duration', values.duration ?? env.BENCH_DURATION, values.smoke ? 1 : 10);
  const only = values.only ? values.only.split(',').map((name) => name.trim()) : Object.keys(SCENARIOS);
  for (const name of only) {
    if (!(name in SCENARIOS)) throw new Error(`--only: no scenario "${name}" (${Object.keys(SCENARIOS).join(', ')})`);
  }
  return {
    smoke: values.smoke,
    only,
    /** Seconds of each measured autocannon run. */
    duration,
    /** Seconds of load before measuring, for each server, so that JIT and pools are warm. */
    warmup: values.smoke ? 1 : Math.max(1, Math.round(duration / 4)),
    connections: positive('BENCH_CONNECTIONS', env.BENCH_CONNECTIONS, 32),
    /** Large-history requests per transport. */
    reps: positive('BENCH_REPS', env.BENCH_REPS, values.smoke ? 1 : 5),
    /** Turns of baseline and gateway (cache hit at fixed concurrency, miss path); the median pair is reported. */
    rounds: values.smoke ? 1 : 3,
    /** Seconds of the large-history baseline window (side stream only). */
    quietSeconds: values.smoke ? 1 : Math.max(1, Math.round(duration / 2)),
    /** Requests per second of the side stream of cache hits during the large history. */
    hitStreamRate: positive('BENCH_HIT_STREAM_RATE', env.BENCH_HIT_STREAM_RATE, 100),
    herdUpstreamLatencyMs: positive('BENCH_HERD_LATENCY_MS', env.BENCH_HERD_LATENCY_MS, 100),
    redisUrl: env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379',
  };
}

function gitRevision() {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return null;
  }
}

async function withRedis(url, use) {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** Every key of the run starts with its unique prefix: nothing else in Redis is touched. */
async function deleteRunKeys(url, keyPrefix) {
  await withRedis(url, async (redis) => {
    for await (const keys of redis.scanStream({ match: `${keyPrefix}*`, count: 500 })) {
      if (keys.length) await redis.del(...keys);
    }
  });
}

/** The rows and problems of some scenarios, in the order of SCENARIOS, and how many targets they met. */
function tally(scenarios) {
  const ordered = Object.keys(SCENARIOS)
    .filter((name) => scenarios[name])
    .map((name) => scenarios[name]);
  const rows = ordered.flatMap((scenario) => scenario.rows);
  const problems = ordered.flatMap((scenario) => scenario.problems);
  const withTarget = rows.filter((row) => row.target);
  const passed = withTarget.filter((row) => row.pass === true).length;
  const failed = withTarget.filter((row) => row.pass === false).length;
  return { rows, problems, summary: { passed, failed, targets: withTarget.length } };
}

/** What a run measured, kept with each of its scenarios so that one carried into a later file still says when and on what. */
const runOf = (meta) => ({
  startedAt: meta.startedAt,
  git: meta.git,
  node: meta.node,
  loadAverage1mAtStart: meta.loadAverage1mAtStart,
});

/**
 * The scenarios of the file already written that this run did not measure, each with the run that
 * measured it: a run of --only=photo-stream must not erase the cache hit's figures.
 */
function earlierScenarios(measured) {
  let earlier;
  try {
    earlier = JSON.parse(readFileSync(RESULTS_FILE, 'utf8'));
  } catch {
    return {};
  }
  return Object.fromEntries(
    Object.entries(earlier.scenarios ?? {})
      .filter(([name]) => name in SCENARIOS && !(name in measured))
      .map(([name, scenario]) => [name, { run: runOf(earlier.meta), ...scenario }]),
  );
}

function writeResults(document) {
  mkdirSync(join(RESULTS_FILE, '..'), { recursive: true });
  // Written aside and renamed, so that a reader never sees half a file.
  const partial = `${RESULTS_FILE}.tmp`;
  writeFileSync(partial, `${JSON.stringify(document, null, 2)}\n`);
  renameSync(partial, RESULTS_FILE);
}

/** Unique to this run, so that its keys can be told apart from anything else in Redis. */
const runKeyPrefix = `bench-${randomBytes(4).toString('hex')}`;

const progress = (message) => process.stderr.write(`bench: ${message}\n`);

async function main() {
  const options = readOptions();
  for (const file of [GATEWAY_MAIN, SIMULATOR_MAIN, join(ROOT, 'dist/libs/cache/src/index.js')]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run "npm run build" first (or "npm run bench")`);
  }
  const ctx = {
    options,
    redisUrl: options.redisUrl,
    keyPrefix: runKeyPrefix,
    tmpDir: null,
    readinessProbe: null,
  };
  const startedAt = new Date();
  const loadAtStart = loadavg()[0];
  const scenarios = {};
  let crashed = false;
  await withRedis(ctx.redisUrl, (redis) => redis.ping()).catch((error) => {
    throw new Error(`no Redis at ${ctx.redisUrl} (BENCH_REDIS_URL): ${error.message}`);
  });
  ctx.tmpDir = mkdtempSync(join(tmpdir(), 'interact-bench-'));
  try {
    ctx.simulator = await startSimulator(ctx);
    ctx.gatewayConfigFile = writeGatewayConfig(ctx);
    for (const name of options.only) {
      progress(`${name}...`);
      const started = performance.now();
      const loadBefore = loadavg()[0];
      try {
        scenarios[name] = await SCENARIOS[name](ctx);
      } catch (error) {
        crashed = true;
        scenarios[name] = { rows: [], problems: [], error: error.stack ?? String(error) };
        progress(`${name} crashed: ${error.stack ?? error}`);
      }
      // A process that could not even start is already the scenario's error.
      const exits = takeUnexpectedExits().filter((exit) => !scenarios[name].error?.includes(exit.split(' ')[0]));
      if (exits.length) {
        scenarios[name].problems.push(...exits.map((exit) => `${name}: ${exit}; its figures are void`));
        for (const row of scenarios[name].rows) Object.assign(row, { pass: null, void: true });
      }
      scenarios[name].seconds = Math.round((performance.now() - started) / 100) / 10;
      // Other work on the machine is the main source of noise: keep a trace of it next to the figures.
      scenarios[name].loadAverage1mBefore = loadBefore;
    }
  } finally {
    await stopAll();
    await deleteRunKeys(ctx.redisUrl, ctx.keyPrefix).catch((error) =>
      progress(`could not delete the run's Redis keys (${ctx.keyPrefix}*): ${error.message}`),
    );
  }

  const { rows, problems, summary } = tally(scenarios);
  const { passed, failed, targets } = summary;
  const eventLoopMeasured = rows.some((row) => row.name.startsWith('event-loop delay p99') && row.value !== null);
  const meta = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    git: gitRevision(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    totalMemoryMb: Math.round(totalmem() / 1024 / 1024),
    loadAverage1mAtStart: loadAtStart,
    options,
    gateway: {
      tracingPreloaded: tracingPreloaded(),
      readinessProbe: ctx.readinessProbe,
      eventLoopMetric: eventLoopMeasured ? 'nodejs_eventloop_lag_p99_seconds' : null,
    },
  };

  console.log(
    `\nInteract Flow Gateway bench: ${options.duration} s per measurement, c=${options.connections}, ` +
      `node ${process.version}, ${meta.cpus} CPUs, tracing ${meta.gateway.tracingPreloaded ? 'preloaded (no exporter)' : 'absent'}, ` +
      `readiness ${ctx.readinessProbe ?? 'n/a'}${options.smoke ? ' (SMOKE RUN: figures are not meaningful)' : ''}\n`,
  );
  if (loadAtStart > 1) {
    console.log(
      `Note: the 1-minute load average was ${loadAtStart.toFixed(1)} on ${meta.cpus} CPUs before the bench started: ` +
        'other work shares the CPUs, so absolute figures are noisy; compare the ratios.\n',
    );
  }
  console.log(formatTable(rows));
  console.log(
    // The runtime beside the count: this line and the table are what gets quoted.
    `\n${passed} of ${targets} targets met, ${failed} missed, ${targets - passed - failed} not measured, ` +
      `on Node ${process.version}.`,
  );
  if (!eventLoopMeasured && scenarios['large-history'] && !scenarios['large-history'].error) {
    console.log(
      'Event-loop delay: not measured, the gateway exposes no nodejs_eventloop_lag_p99_seconds at GET /metrics.',
    );
  }
  for (const problem of problems) console.log(`! ${problem}`);
  for (const [name, scenario] of Object.entries(scenarios)) {
    if (scenario.error) console.log(`! ${name} crashed: ${scenario.error.split('\n')[0]}`);
  }

  for (const scenario of Object.values(scenarios)) scenario.run = runOf(meta);
  const kept = { ...earlierScenarios(scenarios), ...scenarios };
  const all = tally(kept);
  writeResults({ meta, summary: all.summary, figures: all.rows, problems: all.problems, scenarios: kept });
  console.log(`Results: ${RESULTS_FILE}`);
  if (crashed || process.env.BENCH_KEEP_LOGS) console.log(`Process logs kept in ${ctx.tmpDir}`);
  else rmSync(ctx.tmpDir, { recursive: true, force: true });
  return crashed ? 1 : 0;
}

let aborting = false;
/** Ends the run at once: children killed, and the run's keys deleted if Redis answers quickly. */
function abort(code) {
  if (aborting) return;
  aborting = true;
  killAllNow();
  const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
  // They would expire on their own, but need not linger: a short try, then out.
  Promise.race([deleteRunKeys(redisUrl, runKeyPrefix), sleep(2_000)])
    .catch(() => undefined)
    .finally(() => process.exit(code));
}

// Children must not outlive the bench, however it ends.
process.on('exit', killAllNow);
process.on('SIGINT', () => abort(130));
process.on('SIGTERM', () => abort(143));
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (error) => {
    console.error(`bench: ${error?.stack ?? error}`);
    abort(1);
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`bench: ${error.stack ?? error}`);
    process.exitCode = 1;
  },
);

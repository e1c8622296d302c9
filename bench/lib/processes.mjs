// Starting, probing and stopping the processes a bench run needs: the simulator, gateways and the
// raw baseline server, all from dist/ on free loopback ports. Every child is registered so that the
// run can kill them all, whatever happened.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SIMULATOR_MAIN = join(ROOT, 'dist/apps/interact-simulator/src/main.js');
export const GATEWAY_MAIN = join(ROOT, 'dist/apps/gateway/src/main.js');
const GATEWAY_TRACING = join(ROOT, 'dist/apps/gateway/src/tracing.js');
const RAW_SERVER = fileURLToPath(new URL('../baseline/raw-server.mjs', import.meta.url));

/** The simulator's published demo accounts: the gateway serves the first over REST, the second over SOAP. */
export const ACCOUNTS = {
  rest: {
    id: '12345678',
    tenantId: 'demo-tenant-12345678',
    applicationKey: 'demo-app-key-12345678',
    environmentName: 'PROD',
  },
  soap: {
    id: '12345679',
    tenantId: 'demo-tenant-12345679',
    applicationKey: 'demo-app-key-12345679',
    environmentName: 'PROD',
  },
};

const CLIENT_KEY = 'bench-key';
/** Sent on every gateway request, and on the baseline's too so that both receive the same bytes. */
export const AUTH = { authorization: `Bearer ${CLIENT_KEY}` };

const children = new Set();
const unexpectedExits = [];

/**
 * Processes that ended without the bench stopping them since the last call: a crash, or a signal
 * from elsewhere on the machine. Whatever they were measuring is then void.
 */
export const takeUnexpectedExits = () => unexpectedExits.splice(0);

/**
 * Children get a minimal environment plus what the bench sets: a developer's REDIS_SENTINELS,
 * NODE_OPTIONS or OTEL_EXPORTER_OTLP_ENDPOINT must neither change what is measured nor send
 * anything off this machine.
 */
const BASE_ENV = Object.fromEntries(
  ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR']
    .filter((name) => process.env[name])
    .map((name) => [name, process.env[name]]),
);

const hasExited = (child) => child.exitCode !== null || child.signalCode !== null;

/** A node child whose output goes to a log file: the gateway logs as in production, nobody reads it live. */
function startNode(ctx, name, args, env) {
  const logFile = join(ctx.tmpDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...BASE_ENV, ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const proc = { name, child, pid: child.pid, logFile, stopping: false };
  children.add(proc);
  child.once('exit', (code, signal) => {
    children.delete(proc);
    if (!proc.stopping)
      unexpectedExits.push(
        `${name} (pid ${proc.pid}) ended without the bench stopping it (${signal ?? `exit code ${code}`})`,
      );
  });
  return proc;
}

function logTail(proc, lines = 15) {
  try {
    return readFileSync(proc.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function stop(proc) {
  if (!proc || hasExited(proc.child)) return;
  proc.stopping = true;
  const exited = new Promise((resolve) => proc.child.once('exit', resolve));
  proc.child.kill('SIGTERM');
  // A gateway drains in-flight requests on SIGTERM; the bench has none left, so a few seconds is plenty.
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export async function stopAll() {
  await Promise.all([...children].map((proc) => stop(proc)));
}

/** Last resort from an exit handler, where nothing asynchronous runs any more. */
export function killAllNow() {
  for (const proc of children) {
    proc.stopping = true;
    proc.child.kill('SIGKILL');
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls until `probe` returns something other than undefined; fails at once if the process died. */
async function waitFor(proc, what, probe, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited(proc.child)) {
      throw new Error(
        `${proc.name} exited while starting (${proc.child.exitCode ?? proc.child.signalCode}):\n${logTail(proc)}`,
      );
    }
    try {
      const answer = await probe();
      if (answer !== undefined) return answer;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`${proc.name} was not ready within ${timeoutMs} ms (${what}):\n${logTail(proc)}`);
}

async function statusOf(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  return response.status;
}

export async function startSimulator(ctx) {
  const port = await freePort();
  const proc = startNode(ctx, 'simulator', [SIMULATOR_MAIN], {
    SIMULATOR_PORT: String(port),
    SIMULATOR_HOST: '127.0.0.1',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(proc, 'GET /__simulator/stats', async () =>
    (await statusOf(`${url}/__simulator/stats`)) === 200 ? true : undefined,
  );
  return { proc, url, pid: proc.pid };
}

/** Written once per run: both demo accounts against this run's simulator, and the bench's client. */
export function writeGatewayConfig(ctx) {
  const account = (transport, { id, tenantId, environmentName }) => ({
    id,
    transport,
    baseUrl: ctx.simulator.url,
    ...(transport === 'soap' && {
      wsdl: `${ctx.simulator.url}/interact/version/2/interactiondata/soap/interactiondata.wsdl`,
    }),
    tenantId,
    environmentName,
    applicationKeyEnv: `INTERACT_APPLICATION_KEY_${id}`,
    timeoutMs: 10_000,
    // Longer than the whole run, so that no entry turns stale (and refreshes) mid-measurement.
    cacheTtlSeconds: 3_600,
  });
  const config = {
    accounts: [account('rest', ACCOUNTS.rest), account('soap', ACCOUNTS.soap)],
    clients: [
      {
        id: 'bench',
        keySha256: createHash('sha256').update(CLIENT_KEY).digest('hex'),
        accounts: [ACCOUNTS.rest.id, ACCOUNTS.soap.id],
        // Counted on every request as in production, but never reached: a 429 measures nothing.
        rateLimitPerMinute: 1_000_000_000,
      },
    ],
  };
  const file = join(ctx.tmpDir, 'gateway.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export const tracingPreloaded = () => existsSync(GATEWAY_TRACING);

/**
 * A gateway as it runs in production: Redis store, info logging, client authentication and rate
 * limiting, tracing preloaded when the build has it (its exporter stays off: no collector is named,
 * and nothing leaves the machine). Ready when /health/ready, on the admin port with the metrics,
 * says so: it answers only once the API listens.
 */
export async function startGateway(ctx, name, { keyPrefix }) {
  const [port, adminPort] = [await freePort(), await freePort()];
  const args = tracingPreloaded() ? ['--import', pathToFileURL(GATEWAY_TRACING).href, GATEWAY_MAIN] : [GATEWAY_MAIN];
  const proc = startNode(ctx, name, args, {
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    HOST: '127.0.0.1',
    GATEWAY_CONFIG_FILE: ctx.gatewayConfigFile,
    [`INTERACT_APPLICATION_KEY_${ACCOUNTS.rest.id}`]: ACCOUNTS.rest.applicationKey,
    [`INTERACT_APPLICATION_KEY_${ACCOUNTS.soap.id}`]: ACCOUNTS.soap.applicationKey,
    REDIS_URL: ctx.redisUrl,
    CACHE_KEY_PREFIX: keyPrefix,
    LOG_LEVEL: 'info',
    // Stopped with no client left to see a drain: the port may close at once.
    DRAIN_LISTEN_SECONDS: '0',
  });
  const url = `http://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const readiness = await waitFor(proc, 'GET /health/ready on the admin port', async () =>
    (await statusOf(`${adminUrl}/health/ready`)) === 200 ? '/health/ready' : undefined,
  );
  ctx.readinessProbe = readiness;
  return { proc, url, adminUrl, pid: proc.pid, name };
}

/** The floor: node:http answering with the entry's body read from Redis on every request. */
export async function startRawBaseline(ctx, cacheKey) {
  const port = await freePort();
  const proc = startNode(ctx, 'raw-baseline', [RAW_SERVER], {
    PORT: String(port),
    REDIS_URL: ctx.redisUrl,
    BENCH_CACHE_KEY: cacheKey,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(proc, 'GET /', async () => ((await statusOf(`${url}/`)) === 200 ? true : undefined));
  return { proc, url, pid: proc.pid, name: 'raw-baseline' };
}

/** The gateway's own key for a flow looked up by interaction id, without widerSearch, from dist/. */
export async function flowCacheKey(keyPrefix, account, interactionId) {
  // Nest's decorators on the module's classes need the metadata polyfill the gateway loads first.
  await import('reflect-metadata');
  const cache = await import('../../dist/apps/gateway/src/cache/flow-cache.service.js');
  const gatewayAccount = { accountId: account.id, environmentName: account.environmentName };
  return cache.flowCacheKey(keyPrefix, gatewayAccount, {
    kind: 'interactionId',
    value: interactionId,
    widerSearch: false,
  });
}

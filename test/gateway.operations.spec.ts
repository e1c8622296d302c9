import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import type { GatewayAccount, GatewayConfig } from '../apps/gateway/src/config/gateway.config.js';
import { LifecycleService } from '../apps/gateway/src/health/lifecycle.service.js';
import { BIG_ATTRIBUTES, DEMO_IDS } from './support/simulator.js';
import {
  REST_ACCOUNT,
  SOAP_ACCOUNT,
  TEST_API_KEY,
  apiClient,
  defaultResilience,
  type RunningGateway,
} from './support/gateway.js';
import { freePort, redisCache } from './support/redis.js';
import { useTestbed } from './support/testbed.js';
import { metricValue } from './support/metrics.js';
import { flowPath, photoPath } from './support/paths.js';
import { photoIdOf } from '../apps/gateway/src/flow/photo-id.js';
import { PHOTO_PATHS } from '../apps/interact-simulator/src/photos/photo-library.js';

const testbed = useTestbed();

const gateway = (accounts: Partial<GatewayAccount> = {}, config: Partial<GatewayConfig> = {}, lines?: string[]) =>
  testbed.gateway(
    { ...config, ...(lines && { logLevel: 'info' as const }) },
    accounts,
    lines ? { logDestination: { write: (line: string) => void lines.push(line) } } : {},
  );

const fresh = (gw: RunningGateway, account: string, id: string) =>
  gw.http().get(flowPath(account, id)).set('Cache-Control', 'no-cache');

describe('circuit breaker', () => {
  it.each([
    ['REST', REST_ACCOUNT, 'rest'],
    ['SOAP', SOAP_ACCOUNT, 'soap'],
  ] as const)(
    'opens on failures over %s, answers 503 with Retry-After, and closes again',
    async (_name, account, transport) => {
      const gw = await gateway({
        resilience: defaultResilience({
          retryMaxAttempts: 1,
          breakerFailureRatio: 0.5,
          breakerWindowMs: 2_000,
          breakerMinimumRps: 2,
          breakerHalfOpenAfterMs: 700,
        }),
      });
      await fresh(gw, account, DEMO_IDS.claim).expect(200); // loads the WSDL on SOAP
      await testbed.simulator.setFaults({ [transport]: { errorRate: 1 } });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i += 1) statuses.push((await fresh(gw, account, DEMO_IDS.claim)).status);
      expect(statuses).toContain(502);
      const open = await fresh(gw, account, DEMO_IDS.claim).expect(503);
      expect(open.body.type).toBe('/problems/upstream-unavailable');
      expect(Number(open.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      const calls = (await testbed.simulator.stats())[transport].requests;
      await fresh(gw, account, DEMO_IDS.claim).expect(503);
      expect((await testbed.simulator.stats())[transport].requests).toBe(calls);
      const ready = await gw.admin().get('/health/ready').expect(200);
      expect(ready.body.details.upstream.circuits[account]).toEqual({ transport, state: 'open' });
      const whileOpen = (await gw.admin().get('/metrics')).text;
      expect(metricValue(whileOpen, 'interact_circuit_state', { account, transport })).toBe(1);
      // Each 503 above, and the two after it.
      expect(
        metricValue(whileOpen, 'interact_refusals_total', { account, operation: 'flow', reason: 'circuit_open' }),
      ).toBe(statuses.filter((status) => status === 503).length + 2);

      await testbed.simulator.reset();
      await sleep(800);
      await fresh(gw, account, DEMO_IDS.claim).expect(200);
      expect((await gw.admin().get('/health/ready')).body.details.upstream.circuits[account].state).toBe('closed');
      expect(
        metricValue((await gw.admin().get('/metrics')).text, 'interact_circuit_state', { account, transport }),
      ).toBe(0);
    },
  );

  it('serves a stale copy instead of 503 while the circuit is open', async () => {
    const gw = await gateway(
      {
        cacheTtlMs: 500,
        resilience: defaultResilience({ retryMaxAttempts: 1, breakerWindowMs: 2_000, breakerMinimumRps: 2 }),
      },
      { cache: { ...redisCache(), staleWhileRevalidateMs: 0, staleIfErrorMs: 60_000 } },
    );
    const first = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    await testbed.simulator.setFaults({ rest: { errorRate: 1 } });
    for (let i = 0; i < 10; i += 1) await fresh(gw, REST_ACCOUNT, DEMO_IDS.callback);
    await fresh(gw, REST_ACCOUNT, DEMO_IDS.callback).expect(503);
    await sleep(600);
    const stale = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    expect(stale.text).toBe(first.text);
    // Interact was not asked: a stale hit, not a forward.
    expect(stale.headers['cache-status']).toMatch(/^interact-flow-gateway; hit; detail=stale-if-error; ttl=-\d+$/);
  });
});

describe('bulkhead', () => {
  it('rejects calls beyond its concurrency and queue with 503 and Retry-After', async () => {
    const gw = await gateway({ resilience: defaultResilience({ bulkheadMaxConcurrent: 1, bulkheadMaxQueue: 1 }) });
    await testbed.simulator.setFaults({ rest: { latencyMs: 400 } });
    // Five histories: requests for one would share one call.
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_, i) => gw.http().get(flowPath(REST_ACCOUNT, `unknown-${i}`))),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([404, 404, 503, 503, 503]);
    const rejected = responses.find((response) => response.status === 503)!;
    expect(rejected.body.type).toBe('/problems/upstream-unavailable');
    expect(rejected.headers['retry-after']).toBe('1');
    expect((await testbed.simulator.stats()).rest.requests).toBe(2);
    const text = (await gw.admin().get('/metrics')).text;
    expect(
      metricValue(text, 'interact_refusals_total', {
        account: REST_ACCOUNT,
        operation: 'flow',
        reason: 'bulkhead_full',
      }),
    ).toBe(3);
  });
});

describe('render pool', () => {
  it('refuses large histories beyond its queue as gateway-overloaded, holding nothing against upstream', async () => {
    // A breaker this sensitive would open on the first refusal counted as a failure of upstream's.
    const gw = await gateway({ resilience: defaultResilience({ breakerFailureRatio: 0.01, breakerMinimumRps: 0.1 }) });
    const burst = 16;
    // The one large history under as many keys: requests for one key would share one call.
    const responses = await Promise.all(
      BIG_ATTRIBUTES.slice(0, burst).map((attribute) =>
        gw.http().get(flowPath(REST_ACCOUNT, { callerAttribute: attribute })),
      ),
    );
    const refused = responses.filter((response) => response.status === 503);
    // One history on the one render thread, four waiting: most of the burst is refused.
    expect(refused.length).toBeGreaterThan(0);
    expect(responses.filter((response) => response.status === 200)).toHaveLength(burst - refused.length);
    for (const response of refused) {
      expect(response.body.type).toBe('/problems/gateway-overloaded');
      expect(response.headers['retry-after']).toBe('1');
    }
    // Interact answered every call once (a refusal is not retried); the refused answers went unread and count
    // as refusals, no outcome of Interact's.
    expect((await testbed.simulator.stats()).rest.requests).toBe(burst);
    const text = (await gw.admin().get('/metrics')).text;
    const upstream = (outcome: string) =>
      metricValue(text, 'interact_upstream_requests_total', {
        account: REST_ACCOUNT,
        transport: 'rest',
        operation: 'flow',
        outcome,
      });
    expect(upstream('success')).toBe(burst - refused.length);
    expect(upstream('error')).toBeUndefined();
    expect(
      metricValue(text, 'interact_refusals_total', {
        account: REST_ACCOUNT,
        operation: 'flow',
        reason: 'render_queue_full',
      }),
    ).toBe(refused.length);
    expect(metricValue(text, 'interact_circuit_state', { account: REST_ACCOUNT, transport: 'rest' })).toBe(0);
    await fresh(gw, REST_ACCOUNT, DEMO_IDS.claim).expect(200);
  });
});

describe('health', () => {
  it('answers liveness and readiness with the cache and circuits as details', async () => {
    const gw = await gateway();
    expect((await gw.admin().get('/health/live').expect(200)).body.status).toBe('ok');
    const ready = await gw.admin().get('/health/ready').expect(200);
    expect(ready.body.details).toEqual({
      lifecycle: { status: 'up', state: 'serving' },
      cache: { status: 'up', store: 'memory', state: 'up' },
      upstream: {
        status: 'up',
        circuits: {
          [REST_ACCOUNT]: { transport: 'rest', state: 'closed' },
          [SOAP_ACCOUNT]: { transport: 'soap', state: 'closed' },
        },
      },
    });
  });

  it('stays ready with Redis down, reporting the cache as degraded', async () => {
    const deadRedis = `redis://127.0.0.1:${await freePort()}`;
    const gw = await gateway({}, { cache: redisCache(deadRedis) });
    const ready = await gw.admin().get('/health/ready').expect(200);
    expect(ready.body.details.cache).toEqual({
      status: 'up',
      store: 'redis',
      state: 'degraded',
      reason: 'connection refused',
    });
    await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
  });

  it('fails readiness as soon as shutdown begins, while liveness holds', async () => {
    const gw = await gateway();
    gw.app.get(LifecycleService).beginShutdown();
    const ready = await gw.admin().get('/health/ready').expect(503);
    expect(ready.body.error.lifecycle).toEqual({ status: 'down', state: 'shutting-down' });
    await gw.admin().get('/health/live').expect(200);
  });
});

describe('metrics', () => {
  it('match a known sequence of requests', async () => {
    const gw = await gateway();
    await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200); // miss
    await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200); // hit
    await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.notFound)).expect(404); // miss, upstream not found
    await fresh(gw, SOAP_ACCOUNT, DEMO_IDS.claim).expect(200); // bypass
    await gw.http().get(flowPath(REST_ACCOUNT, '..')).expect(400); // never reaches the cache
    await gw.http().get('/nowhere').expect(404);
    const scrape = await gw.admin().get('/metrics').expect(200);
    expect(scrape.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = scrape.text;
    const route = '/v1/accounts/:accountId/interactions/:interactionId/flow';
    expect(
      metricValue(text, 'http_server_request_duration_seconds_count', { route, method: 'GET', status: '200' }),
    ).toBe(3);
    expect(
      metricValue(text, 'http_server_request_duration_seconds_count', { route, method: 'GET', status: '404' }),
    ).toBe(1);
    expect(
      metricValue(text, 'http_server_request_duration_seconds_count', { route, method: 'GET', status: '400' }),
    ).toBe(1);
    expect(
      metricValue(text, 'http_server_request_duration_seconds_count', {
        route: 'unmatched',
        method: 'GET',
        status: '404',
      }),
    ).toBe(1);
    expect(metricValue(text, 'interact_cache_requests_total', { operation: 'flow', result: 'miss' })).toBe(2);
    expect(metricValue(text, 'interact_cache_requests_total', { operation: 'flow', result: 'hit' })).toBe(1);
    expect(metricValue(text, 'interact_cache_requests_total', { operation: 'flow', result: 'bypass' })).toBe(1);
    expect(
      metricValue(text, 'interact_upstream_requests_total', {
        account: REST_ACCOUNT,
        transport: 'rest',
        operation: 'flow',
        outcome: 'success',
      }),
    ).toBe(1);
    expect(
      metricValue(text, 'interact_upstream_requests_total', {
        account: REST_ACCOUNT,
        transport: 'rest',
        operation: 'flow',
        outcome: 'not_found',
      }),
    ).toBe(1);
    expect(
      metricValue(text, 'interact_upstream_requests_total', {
        account: SOAP_ACCOUNT,
        transport: 'soap',
        operation: 'flow',
        outcome: 'success',
      }),
    ).toBe(1);
    expect(
      metricValue(text, 'interact_upstream_request_duration_seconds_count', {
        account: SOAP_ACCOUNT,
        transport: 'soap',
        operation: 'flow',
        outcome: 'success',
      }),
    ).toBe(1);
    expect(metricValue(text, 'interact_circuit_state', { account: REST_ACCOUNT, transport: 'rest' })).toBe(0);
    expect(metricValue(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(metricValue(text, 'nodejs_eventloop_lag_p99_seconds')).toBeDefined();
  });
});

describe('the metrics exposition', () => {
  it('passes promtool check metrics, after requests on both paths and for a photo', async () => {
    const gw = await gateway();
    await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200); // miss, through Nest
    await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200); // hit, from the hook
    await fresh(gw, SOAP_ACCOUNT, DEMO_IDS.notFound).expect(404);
    await gw
      .http()
      .get(photoPath(REST_ACCOUNT, DEMO_IDS.claim, photoIdOf(PHOTO_PATHS.claimPng)))
      .expect(200);
    const text = (await gw.admin().get('/metrics').expect(200)).text;
    // Prometheus' own linter (Debian's prometheus package; .ci/run installs it).
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(lint.error).toBeUndefined();
    expect(`${lint.stdout}${lint.stderr}`).toBe('');
    expect(lint.status).toBe(0);
    // Left out: gauges named like counters. Their per-type gauges stay.
    expect(text).not.toMatch(/^nodejs_active_\w+_total\b/m);
    expect(text).toMatch(/^nodejs_active_handles\{type="\w+"\} \d+$/m);
  });

  it('say what runs in build_info: the version, the commit when the build knew it, and Node.js', async () => {
    const gw = await gateway();
    const text = (await gw.admin().get('/metrics').expect(200)).text;
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    // Run from its sources, as here, the gateway has no build to ask for a commit.
    const labels = { version, commit: 'unknown', nodejs_version: process.versions.node };
    expect(metricValue(text, 'interact_flow_gateway_build_info', labels)).toBe(1);
  });
});

describe('logs', () => {
  it('write one JSON line per request with its id, route, account, status, duration and cache result', async () => {
    const lines: string[] = [];
    const gw = await gateway({}, {}, lines);
    await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).set('X-Request-Id', 'trace-me-1').expect(200);
    await gw.http().get('/nowhere').set('X-Request-Id', 'trace-me-2').expect(404);
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = entries.filter((entry) => entry.msg === 'request completed');
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({
      requestId: 'trace-me-1',
      method: 'GET',
      route: '/v1/accounts/:accountId/interactions/:interactionId/flow',
      account: REST_ACCOUNT,
      status: 200,
      cache: 'interact-flow-gateway; fwd=miss; ttl=300',
      service: 'interact-flow-gateway',
    });
    expect(requests[0].durationMs).toEqual(expect.any(Number));
    expect(requests[1]).toMatchObject({ requestId: 'trace-me-2', route: 'unmatched', status: 404 });
  });

  /** The request lines written to `lines`, by request id. */
  const requestLines = (lines: string[]) =>
    new Map(
      lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.msg === 'request completed')
        .map((entry) => [entry.requestId, entry]),
    );

  it('name the level in words, and the client on both paths of a request', async () => {
    const lines: string[] = [];
    const gw = await gateway({}, {}, lines);
    const path = flowPath(REST_ACCOUNT, DEMO_IDS.claim);
    await gw.http().get(path).set('X-Request-Id', 'nest-path').expect(200);
    const hit = await gw.http().get(path).set('X-Request-Id', 'hook-path').expect(200);
    expect(hit.headers['cache-status']).toMatch(/; hit; /);
    const byId = requestLines(lines);
    expect(byId.get('nest-path')).toMatchObject({
      level: 'info',
      client: 'test',
      cache: expect.stringMatching(/fwd=miss/),
    });
    expect(byId.get('hook-path')).toMatchObject({
      level: 'info',
      client: 'test',
      cache: expect.stringMatching(/; hit; /),
    });
    // Tracing is off: no trace to name.
    for (const line of byId.values()) expect(Object.keys(line)).not.toEqual(expect.arrayContaining(['traceId']));
    const appLines = lines
      .map((line) => JSON.parse(line) as { level: unknown })
      .filter(({ level }) => level !== 'info');
    expect(appLines.every(({ level }) => typeof level === 'string')).toBe(true);
  });

  it('write probes and scrapes at debug only', async () => {
    const atInfo: string[] = [];
    const quiet = await gateway({}, {}, atInfo);
    const atDebug: string[] = [];
    const verbose = await testbed.gateway(
      { logLevel: 'debug' },
      {},
      { logDestination: { write: (line: string) => void atDebug.push(line) } },
    );
    for (const gw of [quiet, verbose])
      for (const path of ['/health/live', '/health/ready', '/metrics'])
        await gw
          .admin()
          .get(path)
          .set('X-Request-Id', `probe${path.replaceAll('/', '-')}`)
          .expect(200);
    expect(requestLines(atInfo).size).toBe(0);
    expect([...requestLines(atDebug).values()]).toEqual(
      ['/health/live', '/health/ready', '/metrics'].map((route) =>
        expect.objectContaining({ level: 'debug', route, status: 200 }),
      ),
    );
  });

  it('log and count a request refused for its header section, which never reaches Fastify, its repeats summarized', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const lines: string[] = [];
      const gw = await gateway({}, {}, lines);
      const oversized = () =>
        gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).set('x-padding', 'p'.repeat(20_000)).expect(431);
      const first = await oversized();
      await oversized();
      await oversized();
      const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(entries().filter((entry) => entry.status === 431)).toEqual([
        expect.objectContaining({
          level: 'info',
          msg: 'request completed',
          requestId: first.headers['x-request-id'],
          method: 'GET',
          route: 'unmatched',
          status: 431,
        }),
      ]);
      lines.length = 0;
      vi.advanceTimersByTime(10_000);
      expect(entries()).toEqual([
        expect.objectContaining({ msg: 'requests refused', ip: '127.0.0.1', status: 431, refused: 2 }),
      ]);
      const metrics = (await gw.admin().get('/metrics').expect(200)).text;
      expect(
        metricValue(metrics, 'http_server_request_duration_seconds_count', {
          route: 'unmatched',
          method: 'GET',
          status: '431',
        }),
      ).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('summarize repeated refusals per caller: the first one whole, then a line per interval with the count', async () => {
    // Only the summary's interval runs on a fake clock; everything else keeps real time.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const lines: string[] = [];
      const gw = await gateway(
        {},
        { clients: [apiClient('test', TEST_API_KEY, [REST_ACCOUNT, SOAP_ACCOUNT], 2)] },
        lines,
      );
      const cached = flowPath(REST_ACCOUNT, DEMO_IDS.claim);
      await gw.http().get(cached).expect(200);
      await gw.http().get(cached).expect(200);
      // Over the limit on both paths: a flow that is a fresh hit, and one that is not cached.
      for (const path of [cached, cached, flowPath(SOAP_ACCOUNT, DEMO_IDS.claim), cached, cached])
        await gw.http().get(path).expect(429);
      for (let i = 0; i < 4; i += 1) await gw.http().get(cached).set('Authorization', 'Bearer wrong-key').expect(401);
      const whole = (status: number) =>
        lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.status === status);
      expect(whole(429)).toEqual([expect.objectContaining({ msg: 'request completed', client: 'test' })]);
      expect(whole(401)).toEqual([expect.objectContaining({ msg: 'request completed' })]);
      lines.length = 0;
      vi.advanceTimersByTime(10_000);
      expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
        expect.objectContaining({
          level: 'info',
          msg: 'requests refused',
          client: 'test',
          status: 429,
          refused: 4,
          intervalMs: 10_000,
        }),
        expect.objectContaining({
          level: 'info',
          msg: 'requests refused',
          ip: '127.0.0.1',
          status: 401,
          refused: 3,
          intervalMs: 10_000,
        }),
      ]);
      // Refused again within the next interval: counted, and summarized when it ends.
      await gw.http().get(cached).expect(429);
      vi.advanceTimersByTime(10_000);
      expect(lines.slice(2).map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
        expect.objectContaining({ msg: 'requests refused', client: 'test', status: 429, refused: 1 }),
      ]);
      // A quiet interval forgets the caller: its next refusal is logged whole again.
      vi.advanceTimersByTime(20_000);
      expect(lines).toHaveLength(3);
      await gw.http().get(cached).expect(429);
      expect(JSON.parse(lines[3]) as Record<string, unknown>).toMatchObject({ msg: 'request completed', status: 429 });
    } finally {
      vi.useRealTimers();
    }
  });
});

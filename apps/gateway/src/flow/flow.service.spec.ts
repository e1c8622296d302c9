import { Test, type TestingModule } from '@nestjs/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LoadFailure, MemoryStore } from '@app/cache';
import type { FlowLookup } from '@app/interact-client';
import {
  REST_ACCOUNT,
  apiClient,
  defaultResilience,
  demoAccounts,
  memoryCache,
} from '../../../../test/support/gateway.js';
import { DEMO_IDS, startSimulator, type RunningSimulator } from '../../../../test/support/simulator.js';
import { FlowTransportFactory } from '../accounts/flow-transport.factory.js';
import { AccountsService } from '../accounts/accounts.service.js';
import { CACHE_STORE } from '../cache/cache.tokens.js';
import { FlowCacheService, flowCacheKey } from '../cache/flow-cache.service.js';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { DocsSettings } from '../config/gateway.schema.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ProblemException, loadFailureProblem } from '../problems/problem.js';
import { FlowRenderer } from './flow.renderer.js';
import { FlowService } from './flow.service.js';
import { PayloadDriftService } from './payload-drift.service.js';

const lookup = (value: string): FlowLookup => ({ kind: 'interactionId', value, widerSearch: false });
const request = { noCache: false, requestId: 'unit-test', clientId: 'test' };

/**
 * FlowService with its own collaborators, as FlowModule provides them, over the memory store and
 * against a real simulator: no controller, no HTTP.
 */
describe('FlowService', () => {
  let simulator: RunningSimulator;
  let moduleRef: TestingModule;
  let flows: FlowService;
  let store: MemoryStore;
  let config: GatewayConfig;

  const upstreamCalls = async () => (await simulator.stats()).rest.requests;

  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.close());

  beforeEach(async () => {
    await simulator.reset();
    store = new MemoryStore(64 * 1024 * 1024);
    config = {
      port: 0,
      adminPort: 0,
      host: '127.0.0.1',
      // A single attempt per call: each failure below costs upstream one request.
      accounts: demoAccounts(simulator, { resilience: defaultResilience({ retryMaxAttempts: 1 }) }),
      cache: memoryCache(),
      logLevel: 'silent',
      shutdownGraceMs: 5_000,
      drainListenMs: 0,
      clients: [apiClient('test', 'test-key', [REST_ACCOUNT])],
      docsEnabled: false,
      docs: new DocsSettings(),
      corsOrigins: [],
      renderThreads: 1,
    };
    moduleRef = await Test.createTestingModule({
      providers: [
        FlowService,
        FlowCacheService,
        FlowRenderer,
        PayloadDriftService,
        AccountsService,
        FlowTransportFactory,
        MetricsService,
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: CACHE_STORE, useValue: store },
      ],
    }).compile();
    flows = moduleRef.get(FlowService);
  });
  afterEach(() => moduleRef.close());

  it('loads a miss once for concurrent callers, stores it, and then serves it as a hit', async () => {
    const claim = lookup(DEMO_IDS.claim);
    expect(await flows.cachedFlow(REST_ACCOUNT, claim)).toBeUndefined();

    const misses = await Promise.all(Array.from({ length: 5 }, () => flows.getFlow(REST_ACCOUNT, claim, request)));
    expect(new Set(misses.map((miss) => miss.etag)).size).toBe(1);
    expect(misses[0].cacheStatus).toBe('interact-flow-gateway; fwd=miss; ttl=300');
    expect(JSON.parse(misses[0].body.toString())).toMatchObject({
      accountId: REST_ACCOUNT,
      interactionId: claim.value,
    });
    expect(await upstreamCalls()).toBe(1);

    await moduleRef.get(FlowCacheService).settled();
    const account = config.accounts.find((each) => each.accountId === REST_ACCOUNT)!;
    expect(await store.get(flowCacheKey(config.cache.keyPrefix, account, claim))).not.toBeNull();
    const hit = await flows.cachedFlow(REST_ACCOUNT, claim);
    expect(hit?.etag).toBe(misses[0].etag);
    expect(hit?.body.equals(misses[0].body)).toBe(true);
    expect(hit?.cacheStatus).toMatch(/^interact-flow-gateway; hit; ttl=(300|299)$/);
    expect(await upstreamCalls()).toBe(1);
  });

  it('keeps upstream’s not-found as a negative entry, answered as interaction-not-found without asking again', async () => {
    const missing = lookup(DEMO_IDS.notFound);
    const first = await flows.getFlow(REST_ACCOUNT, missing, request).catch((error: unknown) => error);
    expect(first).toBeInstanceOf(ProblemException);
    expect(first).toMatchObject({
      slug: 'interaction-not-found',
      detail: `No history for interaction ${DEMO_IDS.notFound} in the last 3 months. Retry with widerSearch=true to search the last 12 months.`,
      headers: { 'cache-status': 'interact-flow-gateway; fwd=miss; ttl=30', 'cache-control': 'private, max-age=30' },
    });
    const again = await flows.getFlow(REST_ACCOUNT, missing, request).catch((error: unknown) => error);
    expect(again).toMatchObject({ slug: 'interaction-not-found' });
    expect((again as ProblemException).headers['cache-status']).toMatch(/; hit; ttl=(30|29)$/);
    // A negative entry is no fresh flow: the cache-hit path leaves it to getFlow.
    expect(await flows.cachedFlow(REST_ACCOUNT, missing)).toBeUndefined();
    expect(await upstreamCalls()).toBe(1);
  });

  it('fails a load that upstream failed with a LoadFailure, which the problems layer answers', async () => {
    await simulator.setFaults({ rest: { errorRate: 1 } });
    const failed = await flows.getFlow(REST_ACCOUNT, lookup(DEMO_IDS.claim), request).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(LoadFailure);
    expect(failed).toMatchObject({
      kind: 'upstream-error',
      status: 502,
      detail: `Interact failed to answer for account ${REST_ACCOUNT}.`,
      forwarded: true,
      cacheStatus: 'interact-flow-gateway; fwd=miss',
    });
    expect(loadFailureProblem(failed as LoadFailure)).toMatchObject({
      slug: 'upstream-error',
      detail: `Interact failed to answer for account ${REST_ACCOUNT}.`,
      headers: { 'cache-status': 'interact-flow-gateway; fwd=miss' },
    });
    // Nothing is stored for a failure: the next request asks upstream again.
    await simulator.setFaults({ rest: { errorRate: 0 } });
    await flows.getFlow(REST_ACCOUNT, lookup(DEMO_IDS.claim), request);
    expect(await upstreamCalls()).toBe(2);
  });

  it('refuses an account that is not configured, without a load', async () => {
    await expect(flows.getFlow('99999999', lookup(DEMO_IDS.claim), request)).rejects.toMatchObject({
      slug: 'account-not-found',
      detail: 'No Interact account 99999999 is configured.',
    });
    expect(await flows.cachedFlow('99999999', lookup(DEMO_IDS.claim))).toBeUndefined();
    expect(await upstreamCalls()).toBe(0);
  });
});

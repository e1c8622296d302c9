import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LoadFailure, MemoryStore, OwnFailure } from '@app/cache';
import type { GatewayAccount, GatewayConfig } from '../config/gateway.config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { FlowCacheService, flowCacheKey } from './flow-cache.service.js';

const account = { accountId: '12345678', environmentName: 'PROD' } as GatewayAccount;

describe('flowCacheKey', () => {
  it('carries schema version, account, environment, lookup kind, encoded value and widerSearch', () => {
    expect(flowCacheKey('ifg', account, { kind: 'callerAttribute', value: 'a b:c', widerSearch: true })).toBe(
      'ifg:v2:12345678:PROD:callerAttribute:a%20b%3Ac:wide',
    );
  });

  it('differs for every part that changes the answer', () => {
    const base = { kind: 'interactionId', value: '040100713', widerSearch: false } as const;
    const keys = new Set([
      flowCacheKey('ifg', account, base),
      flowCacheKey('ifg', account, { ...base, widerSearch: true }),
      flowCacheKey('ifg', account, { ...base, kind: 'callerAttribute' }),
      flowCacheKey('ifg', { ...account, accountId: '12345679' }, base),
      flowCacheKey('ifg', { ...account, environmentName: 'QA' }, base),
      flowCacheKey('other', account, base),
    ]);
    expect(keys.size).toBe(6);
  });

  it('gives an account without an environment a part no environment name can take', () => {
    const single = { accountId: '12345678' } as GatewayAccount;
    const base = { kind: 'interactionId', value: '040100713', widerSearch: false } as const;
    expect(flowCacheKey('ifg', single, base)).toBe('ifg:v2:12345678::interactionId:040100713:narrow');
    const named = ['undefined', 'null', '-', '%', ' ', ':'].map((environmentName) =>
      flowCacheKey('ifg', { ...single, environmentName }, base),
    );
    expect(named).not.toContain(flowCacheKey('ifg', single, base));
  });
});

describe('FlowCacheService', () => {
  const staleAccount = {
    accountId: '12345678',
    cacheTtlMs: 1,
    resilience: { retryDeadlineMs: 1_000 },
  } as GatewayAccount;
  const cache = (store = new MemoryStore(1024 * 1024)): FlowCacheService =>
    new FlowCacheService(
      store,
      {
        cache: {
          keyPrefix: 'test',
          staleWhileRevalidateMs: 0,
          staleIfErrorMs: 60_000,
          negativeTtlMs: 1_000,
          compressAboveBytes: 16 * 1024,
        },
      } as GatewayConfig,
      new MetricsService(),
    );
  const stored = async (flows: FlowCacheService) => {
    await flows.serve('key', staleAccount, false, () => Promise.resolve({ kind: 'flow', body: Buffer.from('{}') }));
    await flows.settled();
    await sleep(5);
  };

  it('answers with a stale copy when the gateway is too busy to read upstream', async () => {
    const flows = cache();
    await stored(flows);
    const served = await flows.serve('key', staleAccount, false, () =>
      Promise.reject(new LoadFailure({ kind: 'gateway-overloaded', status: 503, detail: 'busy', forwarded: true })),
    );
    expect(served.entry.body.toString()).toBe('{}');
    expect(served.cacheStatus).toMatch(/fwd=stale; fwd-status=503; detail=stale-if-error/);
  });

  it('says nothing of upstream’s status when a refresh found the history gone', async () => {
    const flows = cache();
    await stored(flows);
    const served = await flows.serve('key', staleAccount, false, () =>
      Promise.resolve({ kind: 'not-found', detail: 'gone' }),
    );
    expect(served.entry.kind).toBe('not-found');
    // Without fwd-status, the response's own status (404) is the one forwarded (RFC 9211).
    expect(served.cacheStatus).toMatch(/^interact-flow-gateway; fwd=stale; ttl=\d+$/);
  });

  it('never answers a caller mistake with a stale copy', async () => {
    const flows = cache();
    await stored(flows);
    const load = () =>
      Promise.reject(new LoadFailure({ kind: 'validation-failed', status: 400, detail: 'bad', forwarded: true }));
    await expect(flows.serve('key', staleAccount, false, load)).rejects.toMatchObject({ kind: 'validation-failed' });
  });

  it.each([
    ['a miss', false],
    ['a no-cache request', true],
  ])('lets %s that joined a load go on when the load failed for its starter alone', async (_case, noCache) => {
    const store = new MemoryStore(1024 * 1024);
    const flows = cache(store);
    let refuse = () => undefined as void;
    const starter = flows.serve(
      'key',
      staleAccount,
      noCache,
      () =>
        new Promise((_resolve, reject) => {
          refuse = () =>
            reject(
              new OwnFailure(
                new LoadFailure({
                  kind: 'upstream-unavailable',
                  status: 503,
                  detail: 'over its share',
                  forwarded: false,
                }),
              ),
            );
        }),
    );
    await sleep(5);
    const joiner = flows.serve('key', staleAccount, noCache, () =>
      Promise.resolve({ kind: 'flow', body: Buffer.from('{"joiner":true}') }),
    );
    await sleep(5);
    refuse();
    await expect(starter).rejects.toMatchObject({ kind: 'upstream-unavailable' });
    expect((await joiner).entry.body.toString()).toBe('{"joiner":true}');
    // Nor is the starter's failure left for other replicas.
    expect(await store.get('key:failed')).toBeNull();
  });
});

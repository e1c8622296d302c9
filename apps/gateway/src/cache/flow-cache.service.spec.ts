import { describe, expect, it } from 'vitest';
import type { GatewayAccount } from '../config/gateway.config.js';
import { flowCacheKey } from './flow-cache.service.js';

const account = { accountId: '12345678', environmentName: 'PROD' } as GatewayAccount;

describe('flowCacheKey', () => {
  it('carries schema version, account, environment, lookup kind, encoded value and widerSearch', () => {
    expect(flowCacheKey('ifg', account, { kind: 'callerAttribute', value: 'a b:c', widerSearch: true })).toBe(
      'ifg:v1:12345678:PROD:callerAttribute:a%20b%3Ac:wide',
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
    expect(flowCacheKey('ifg', single, base)).toBe('ifg:v1:12345678::interactionId:040100713:narrow');
    const named = ['undefined', 'null', '-', '%', ' ', ':'].map((environmentName) =>
      flowCacheKey('ifg', { ...single, environmentName }, base),
    );
    expect(named).not.toContain(flowCacheKey('ifg', single, base));
  });
});

import { Test, type TestingModule } from '@nestjs/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readUpstreamAnswer, UpstreamFailedError, type FlowLookup } from '@app/interact-client';
import { AccountsModule } from '../apps/gateway/src/accounts/accounts.module.js';
import { AccountsService } from '../apps/gateway/src/accounts/accounts.service.js';
import {
  UpstreamDeadlineError,
  UpstreamUnavailableError,
  type ResilientTransport,
} from '../apps/gateway/src/accounts/resilient-transport.js';
import { GatewayConfigModule } from '../apps/gateway/src/config/gateway-config.module.js';
import type { GatewayConfig, ResilienceConfig } from '../apps/gateway/src/config/gateway.config.js';
import { MetricsModule } from '../apps/gateway/src/metrics/metrics.module.js';
import { MetricsService } from '../apps/gateway/src/metrics/metrics.service.js';
import { REST_ACCOUNT, SOAP_ACCOUNT, apiClient, defaultResilience, demoAccounts } from './support/gateway.js';
import { DEMO_IDS } from './support/simulator.js';
import { useTestbed } from './support/testbed.js';

const testbed = useTestbed();
const modules: TestingModule[] = [];

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
});

/** The accounts module as the gateway builds it, on the demo accounts against the simulator. */
async function accounts(resilience: Partial<ResilienceConfig>) {
  const config = {
    accounts: demoAccounts(testbed.simulator, { resilience: defaultResilience(resilience) }),
    clients: [apiClient('test', 'test-key', [REST_ACCOUNT, SOAP_ACCOUNT])],
  } as GatewayConfig;
  const moduleRef = await Test.createTestingModule({
    imports: [GatewayConfigModule.forConfig(config), MetricsModule, AccountsModule],
  }).compile();
  modules.push(moduleRef);
  const service = moduleRef.get(AccountsService);
  return {
    transportOf: (accountId: string) => service.find(accountId)?.transport as ResilientTransport,
    metrics: moduleRef.get(MetricsService),
  };
}

const claim: FlowLookup = { kind: 'interactionId', value: DEMO_IDS.claim, widerSearch: false };
const pagesOf = (transport: ResilientTransport) =>
  transport.call(claim, async (answer) => readUpstreamAnswer(answer).pages, 'test');
const failureOf = (transport: ResilientTransport) =>
  pagesOf(transport).then(
    () => undefined,
    (error: unknown) => error,
  );

describe('ResilientTransport', () => {
  it.each([
    ['rest', REST_ACCOUNT],
    ['soap', SOAP_ACCOUNT],
  ] as const)(
    'opens the %s circuit at the breaker’s minimum rate of failures and refuses, unasked, until it half-opens',
    async (wire, accountId) => {
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
      // Half a call a second over a 10 s window: the fifth failure in a row opens the circuit.
      const { transportOf, metrics } = await accounts({
        retryMaxAttempts: 1,
        breakerFailureRatio: 0.5,
        breakerWindowMs: 10_000,
        breakerMinimumRps: 0.5,
        breakerHalfOpenAfterMs: 10_000,
      });
      const transport = transportOf(accountId);
      await testbed.simulator.setFaults({ [wire]: { errorRate: 1 } });
      for (let failure = 1; failure <= 4; failure += 1) {
        expect(await failureOf(transport)).toBeInstanceOf(UpstreamFailedError);
        expect(transport.circuitState).toBe('closed');
      }
      expect(await failureOf(transport)).toBeInstanceOf(UpstreamFailedError);
      expect(transport.circuitState).toBe('open');

      const refused = await failureOf(transport);
      expect(refused).toBeInstanceOf(UpstreamUnavailableError);
      expect(refused).toMatchObject({ reason: 'circuit_open', retryAfterSeconds: 10 });
      vi.setSystemTime(Date.now() + 7_500);
      expect(await failureOf(transport)).toMatchObject({ reason: 'circuit_open', retryAfterSeconds: 3 });
      expect((await testbed.simulator.stats())[wire].requests).toBe(5);
      const refusals = (await metrics.refusals.get()).values.find(
        ({ labels }) => labels.reason === 'circuit_open' && labels.operation === 'flow',
      );
      expect(refusals?.value).toBe(2);

      // Interact has recovered: the first call after halfOpenAfter is let through and closes the circuit.
      await testbed.simulator.setFaults({ [wire]: { errorRate: 0 } });
      vi.setSystemTime(Date.now() + 2_500);
      expect((await pagesOf(transport)).length).toBeGreaterThan(0);
      expect(transport.circuitState).toBe('closed');
      expect((await testbed.simulator.stats())[wire].requests).toBe(6);
    },
  );

  it('answers a call to a slow Interact at its deadline and cuts the attempt in flight off there', async () => {
    const { transportOf, metrics } = await accounts({ retryDeadlineMs: 300, retryMaxAttempts: 3 });
    await testbed.simulator.setFaults({ rest: { latencyMs: 5_000 } });
    const started = performance.now();
    const failure = await failureOf(transportOf(REST_ACCOUNT));
    const elapsed = performance.now() - started;
    expect(failure).toBeInstanceOf(UpstreamDeadlineError);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_000);
    // The attempt ended with the deadline, not with the account's own timeout of 5 s.
    const attempt = await vi.waitFor(async () => {
      const { values } = await metrics.upstreamRequestDuration.get();
      const sum = values.find(({ metricName }) => metricName?.endsWith('_sum'));
      if (!sum) throw new Error('the attempt has not ended yet');
      return sum;
    }, 3_000);
    expect(attempt.labels.outcome).toBe('timeout');
    expect(attempt.value).toBeLessThan(2);
    expect((await testbed.simulator.stats()).rest.requests).toBe(1);
  });

  it('refuses a call beyond a full bulkhead at once, with Retry-After 1, and serves the call that holds it', async () => {
    const { transportOf } = await accounts({ bulkheadMaxConcurrent: 1, bulkheadMaxQueue: 0 });
    await testbed.simulator.setFaults({ rest: { latencyMs: 300 } });
    const transport = transportOf(REST_ACCOUNT);
    const holding = pagesOf(transport);
    let held = true;
    const settle = () => (held = false);
    holding.then(settle, settle);
    const refused = await failureOf(transport);
    expect(held).toBe(true);
    expect(refused).toBeInstanceOf(UpstreamUnavailableError);
    expect(refused).toMatchObject({ reason: 'bulkhead_full', retryAfterSeconds: 1 });
    expect((await holding).length).toBeGreaterThan(0);
    expect((await testbed.simulator.stats()).rest.requests).toBe(1);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayAccount } from '../apps/gateway/src/config/gateway.config.js';
import { DEMO_IDS } from './support/simulator.js';
import { REST_ACCOUNT, SOAP_ACCOUNT, defaultResilience, demoAccounts, type RunningGateway } from './support/gateway.js';
import { flowPath } from './support/paths.js';
import { freePort } from './support/redis.js';
import { useTestbed } from './support/testbed.js';

const EMPTY_SOAP = `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetInteractionFullFlowByUUIDResponse xmlns="http://com/jacada/interact/interactiondata/soap">EMPTY</GetInteractionFullFlowByUUIDResponse></s:Body></s:Envelope>`;

interface PlannedAnswer {
  status: number;
  body: string;
  delayMs?: number;
}
/** What the upstream answers its nth request (from 1); nothing planned is "found but empty". */
let plan: (n: number) => PlannedAnswer | undefined = () => undefined;
const failing =
  (failures: number, status: number, delayMs = 0) =>
  (n: number): PlannedAnswer | undefined =>
    n <= failures ? { status, body: 'unavailable', delayMs } : undefined;

let upstream: Server;
let base: string;
let received = 0;
/** Requests whose client went away before their answer was written. */
let abandoned = 0;

// The simulator serves the SOAP account's WSDL; every call goes to the upstream below.
const testbed = useTestbed();

beforeAll(async () => {
  upstream = createServer((request, response) => {
    received += 1;
    const planned = plan(received);
    response.on('close', () => {
      if (!response.writableFinished) abandoned += 1;
    });
    const answer = () => {
      if (response.destroyed) return;
      if (planned) return response.writeHead(planned.status, { 'content-type': 'text/plain' }).end(planned.body);
      if (request.method === 'POST') return response.writeHead(200, { 'content-type': 'text/xml' }).end(EMPTY_SOAP);
      response.writeHead(200, { 'content-type': 'text/plain' }).end('EMPTY');
    };
    if (planned?.delayMs) setTimeout(answer, planned.delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => upstream.close(resolve)));
beforeEach(() => {
  plan = () => undefined;
  received = 0;
  abandoned = 0;
});

function gateway(target: string, overrides: Partial<GatewayAccount> = {}): Promise<RunningGateway> {
  const accounts = demoAccounts(testbed.simulator, {
    resilience: defaultResilience({ retryMaxAttempts: 3, retryInitialDelayMs: 20, retryMaxDelayMs: 50 }),
    ...overrides,
  }).map((account) =>
    account.transport === 'rest'
      ? { ...account, baseUrl: target }
      : { ...account, soapEndpoint: `${target}/interact/version/2/interactiondata/soap` },
  );
  return testbed.gateway({ accounts });
}

describe.each([
  ['REST', REST_ACCOUNT],
  ['SOAP', SOAP_ACCOUNT],
])('retries over %s', (_name, account) => {
  it.each([502, 503, 504])('retries a %i and answers once upstream recovers', async (status) => {
    const gw = await gateway(base);
    plan = failing(2, status);
    const response = await gw.http().get(flowPath(account, DEMO_IDS.claim)).expect(200);
    expect(response.body.pages).toEqual([]);
    expect(received).toBe(3);
  });

  it('gives up after the configured attempts', async () => {
    const gw = await gateway(base);
    plan = failing(10, 503);
    await gw.http().get(flowPath(account, DEMO_IDS.claim)).expect(502);
    expect(received).toBe(3);
  });

  it('does not retry an internal error: the answer will not change', async () => {
    const gw = await gateway(base);
    plan = failing(10, 500);
    await gw.http().get(flowPath(account, DEMO_IDS.claim)).expect(502);
    expect(received).toBe(1);
  });
});

describe('the retry deadline', () => {
  it('stops retrying a refused connection at the overall deadline', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const gw = await gateway(closed, {
      timeoutMs: 200,
      resilience: defaultResilience({
        retryMaxAttempts: 1_000,
        retryInitialDelayMs: 20,
        retryMaxDelayMs: 40,
        retryDeadlineMs: 600,
      }),
    });
    const started = performance.now();
    const response = await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(504);
    const elapsed = performance.now() - started;
    expect(response.body.type).toBe('/problems/upstream-timeout');
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(1_500);
    const metrics = (await gw.admin().get('/metrics')).text;
    const attempts = Number(
      /interact_upstream_requests_total\{account="12345678",transport="rest",operation="flow",outcome="error"\} (\d+)/.exec(
        metrics,
      )?.[1],
    );
    // Several attempts fitted in the deadline, far fewer than the thousand allowed.
    expect(attempts).toBeGreaterThan(2);
    expect(attempts).toBeLessThan(100);
  });
});

const circuitOf = async (gw: RunningGateway, account: string) =>
  (
    (await gw.admin().get('/health/ready')).body as {
      details: { upstream: { circuits: Record<string, { state: string }> } };
    }
  ).details.upstream.circuits[account].state;

describe('the circuit breaker and the deadline', () => {
  it.each([
    ['REST', REST_ACCOUNT],
    ['SOAP', SOAP_ACCOUNT],
  ])(
    'cancels the attempt in flight at the deadline over %s, and counts the call against upstream',
    async (_name, account) => {
      const gw = await gateway(base, {
        timeoutMs: 400,
        resilience: defaultResilience({
          retryMaxAttempts: 3,
          retryInitialDelayMs: 20,
          retryMaxDelayMs: 20,
          retryDeadlineMs: 450,
          breakerWindowMs: 5_000,
          breakerMinimumRps: 1,
          breakerHalfOpenAfterMs: 500,
        }),
      });
      // Loads the WSDL on SOAP, so that the attempts below take the same time on both.
      await gw.http().get(flowPath(account, DEMO_IDS.claim)).expect(200);
      received = 0;
      // Each answer is a 503 after 300 ms: every call's second attempt is in flight when its deadline passes.
      plan = failing(1_000, 503, 300);
      const ids = ['040100701', '040100702', '040100703', '040100704', '040100705', '040100706'];
      const calls = await Promise.all(ids.map((id) => gw.http().get(flowPath(account, id))));
      expect(calls.map((call) => call.status)).toEqual(ids.map(() => 504));
      // Past the time the second attempts would have had their answers, had they not been cancelled.
      await sleep(250);
      expect(received).toBe(12);
      expect(abandoned).toBe(6);

      const refused = await gw.http().get(flowPath(account, '040100707')).expect(503);
      expect(refused.body.type).toBe('/problems/upstream-unavailable');
      expect(received).toBe(12);
      // The half-open trial runs into the deadline as well: the circuit opens again instead of closing.
      await sleep(550);
      await gw.http().get(flowPath(account, '040100707')).expect(504);
      expect(await circuitOf(gw, account)).toBe('open');
    },
  );

  it('counts histories not found as successes: a fifth of calls failing does not open it', async () => {
    plan = (n) =>
      n <= 20
        ? { status: 404, body: `history for UUID ${DEMO_IDS.claim} was not found` }
        : { status: 500, body: 'boom' };
    const gw = await gateway(base, {
      resilience: defaultResilience({
        retryMaxAttempts: 1,
        breakerFailureRatio: 0.5,
        breakerWindowMs: 10_000,
        breakerMinimumRps: 0.5,
      }),
    });
    const statuses: number[] = [];
    for (let i = 0; i < 25; i += 1)
      statuses.push(
        (await gw.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).set('Cache-Control', 'no-cache')).status,
      );
    expect(statuses).toEqual([...Array<number>(20).fill(404), ...Array<number>(5).fill(502)]);
    expect(await circuitOf(gw, REST_ACCOUNT)).toBe('closed');
  });
});

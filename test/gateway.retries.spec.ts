import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayAccount } from '../apps/gateway/src/config/gateway.config.js';
import { DEMO_IDS, startSimulator, type RunningSimulator } from './support/simulator.js';
import {
  REST_ACCOUNT,
  SOAP_ACCOUNT,
  defaultResilience,
  demoAccounts,
  startGateway,
  type RunningGateway,
} from './support/gateway.js';
import { freePort } from './support/redis.js';

const EMPTY_SOAP = `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetInteractionFullFlowByUUIDResponse xmlns="http://com/jacada/interact/interactiondata/soap">EMPTY</GetInteractionFullFlowByUUIDResponse></s:Body></s:Envelope>`;

/** An upstream that fails a set number of times with a set status, then answers "found but empty". */
let upstream: Server;
let base: string;
let plan: { failures: number; status: number };
let received = 0;

let simulator: RunningSimulator;
const gateways: RunningGateway[] = [];

beforeAll(async () => {
  simulator = await startSimulator();
  upstream = createServer((request, response) => {
    received += 1;
    if (received <= plan.failures)
      return response.writeHead(plan.status, { 'content-type': 'text/plain' }).end('unavailable');
    if (request.method === 'POST') return response.writeHead(200, { 'content-type': 'text/xml' }).end(EMPTY_SOAP);
    response.writeHead(200, { 'content-type': 'text/plain' }).end('EMPTY');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => upstream.close(resolve));
  await simulator.close();
});
beforeEach(() => {
  received = 0;
});
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

async function gateway(target: string, overrides: Partial<GatewayAccount> = {}) {
  const accounts = demoAccounts(simulator, {
    resilience: defaultResilience({ retryMaxAttempts: 3, retryInitialDelayMs: 20, retryMaxDelayMs: 50 }),
    ...overrides,
  }).map((account) =>
    account.transport === 'rest'
      ? { ...account, baseUrl: target }
      : { ...account, soapEndpoint: `${target}/interact/version/2/interactiondata/soap` },
  );
  const started = await startGateway({ accounts });
  gateways.push(started);
  return started;
}

const flowPath = (account: string) => `/v1/accounts/${account}/interactions/${DEMO_IDS.claim}/flow`;

describe.each([
  ['REST', REST_ACCOUNT],
  ['SOAP', SOAP_ACCOUNT],
])('retries over %s', (_name, account) => {
  it.each([502, 503, 504])('retries a %i and answers once upstream recovers', async (status) => {
    const gw = await gateway(base);
    plan = { failures: 2, status };
    const response = await gw.http().get(flowPath(account)).expect(200);
    expect(response.body.pages).toEqual([]);
    expect(received).toBe(3);
  });

  it('gives up after the configured attempts', async () => {
    const gw = await gateway(base);
    plan = { failures: 10, status: 503 };
    await gw.http().get(flowPath(account)).expect(502);
    expect(received).toBe(3);
  });

  it('does not retry an internal error: the answer will not change', async () => {
    const gw = await gateway(base);
    plan = { failures: 10, status: 500 };
    await gw.http().get(flowPath(account)).expect(502);
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
    const response = await gw.http().get(flowPath(REST_ACCOUNT)).expect(504);
    const elapsed = performance.now() - started;
    expect(response.body.type).toBe('/problems/upstream-timeout');
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(1_500);
    const metrics = (await gw.http().get('/metrics')).text;
    const attempts = Number(
      /interact_upstream_requests_total\{account="12345678",transport="rest",outcome="error"\} (\d+)/.exec(
        metrics,
      )?.[1],
    );
    // Several attempts fitted in the deadline, far fewer than the thousand allowed.
    expect(attempts).toBeGreaterThan(2);
    expect(attempts).toBeLessThan(100);
  });
});

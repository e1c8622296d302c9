import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SOAP_AGENT_NAMESPACE, SOAP_NAMESPACE, SOAP_NOT_FOUND_ELEMENT } from '@app/interact';
import type { GatewayAccount } from '../apps/gateway/src/config/gateway.config.js';
import type { HostilePayload } from '../apps/interact-simulator/src/faults/hostile-payloads.js';
import {
  CapturingLogger,
  REST_ACCOUNT,
  SOAP_ACCOUNT,
  defaultResilience,
  demoAccounts,
  type RunningGateway,
} from './support/gateway.js';
import { flowPath } from './support/paths.js';
import { DEMO_ACCOUNTS } from './support/simulator.js';
import { useTestbed } from './support/testbed.js';

/**
 * Secrets that must never leave the gateway. The simulator is configured with them, so upstream
 * accepts them and answers with whatever hostile payload a test sets.
 */
const CANARIES = ['canary-rest-key-7c41d0e2', 'canary-soap-key-93b8a6f5'];
/** A key upstream does not know, as a misconfigured account would send. */
const WRONG_KEY = 'canary-wrong-key-2d5e9f18';
const SMALL_CAP = 256 * 1024;
/** What the simulator's oversize answers hold: the read must stop far short of it. */
const OVERSIZE_BYTES = 24 * 1024 * 1024;

let running: Array<{ gateway: RunningGateway; logs: () => string }> = [];
let served: string[] = [];

// Before useTestbed, so that it runs after the testbed has closed the test's gateways (after-hooks run
// last registered first): a failing check leaves no gateway running.
afterEach(() => {
  const seen = [...served, ...running.map(({ logs }) => logs())].join('\n');
  running = [];
  served = [];
  // Whatever happened in the test, no key reached a caller or a log line.
  for (const canary of [...CANARIES, WRONG_KEY]) expect(seen).not.toContain(canary);
});
const testbed = useTestbed({
  accounts: DEMO_ACCOUNTS.map((account, index) => ({ ...account, applicationKey: CANARIES[index] })),
});

/** A gateway of its own per test, logging everything, so its logs and its circuit breakers are the test's alone. */
async function gatewayWith(overrides: Partial<GatewayAccount> = {}, keys = CANARIES): Promise<RunningGateway> {
  const logger = new CapturingLogger();
  const pinoLines: string[] = [];
  const accounts = demoAccounts(testbed.simulator, overrides).map((account, index) => ({
    ...account,
    applicationKey: keys[index],
  }));
  const gateway = await testbed.gateway(
    { accounts, logLevel: 'trace' },
    {},
    { logger, logDestination: { write: (line: string) => void pinoLines.push(line) } },
  );
  running.push({ gateway, logs: () => [...logger.lines, ...pinoLines].join('\n') });
  return gateway;
}

const logsOf = (gateway: RunningGateway) => running.find((entry) => entry.gateway === gateway)?.logs() ?? '';

let ids = 0;
/** A fresh id per call, so no cached answer stands in for the one under test. */
async function askFlow(gateway: RunningGateway, account: string): Promise<request.Response> {
  ids += 1;
  const response = await gateway.http().get(flowPath(account, `hostile-${ids}`));
  served.push(JSON.stringify(response.headers), response.text);
  return response;
}

function expectUpstreamError(response: request.Response): void {
  expect(response.status).toBe(502);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ type: '/problems/upstream-error', status: 502 });
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; heapGrowth: number }> {
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started, heapGrowth: process.memoryUsage().heapUsed - heapBefore };
}

const transports = [
  ['REST', 'rest', REST_ACCOUNT],
  ['SOAP', 'soap', SOAP_ACCOUNT],
] as const;
const MiB = 1024 * 1024;

describe.each(transports)('hostile XML over %s', (_name, transport, account) => {
  const hostile = (payload: HostilePayload) => testbed.simulator.setFaults({ [transport]: { hostile: payload } });

  it('refuses an XXE payload quickly and never fetches its external entities', async () => {
    const gateway = await gatewayWith();
    await hostile('xxe');
    const { result, ms } = await timed(() => askFlow(gateway, account));
    expectUpstreamError(result);
    expect(ms).toBeLessThan(1_000);
    expect(result.text).not.toContain('root:');
    const stats = await testbed.simulator.stats();
    expect(stats[transport].hostileAnswers).toBe(1);
    expect(stats.entityFetches).toBe(0);
    expect(logsOf(gateway)).toContain(transport === 'soap' ? 'upstream XML carries a DOCTYPE' : 'not JSON');
  });

  it('refuses billion laughs quickly, expanding nothing', async () => {
    const gateway = await gatewayWith();
    await hostile('billion-laughs');
    const { result, ms, heapGrowth } = await timed(() => askFlow(gateway, account));
    expectUpstreamError(result);
    expect(ms).toBeLessThan(1_000);
    // Expanded, the entities would take 3 GB.
    expect(heapGrowth).toBeLessThan(64 * MiB);
    expect((await testbed.simulator.stats())[transport].hostileAnswers).toBe(1);
  });

  it('refuses a DOCTYPE in an answer with nothing else wrong with it', async () => {
    const gateway = await gatewayWith();
    await hostile('doctype');
    expectUpstreamError(await askFlow(gateway, account));
    expect((await testbed.simulator.stats())[transport].hostileAnswers).toBe(1);
  });

  it('refuses a compressed answer it did not ask for', async () => {
    const gateway = await gatewayWith();
    await hostile('compressed');
    expectUpstreamError(await askFlow(gateway, account));
    const stats = (await testbed.simulator.stats())[transport];
    expect(stats.acceptEncoding).toBe('identity');
    expect(stats.hostileAnswers).toBe(1);
    expect(logsOf(gateway)).toContain('upstream sent a compressed body it was not asked for');
  });
});

describe.each(transports)('oversize answers over %s', (_name, transport, account) => {
  it.each([
    ['with a Content-Length', 'oversize'],
    ['chunked, without a Content-Length', 'oversize-chunked'],
  ] as const)('stops reading one %s at the account cap', async (_case, payload) => {
    const gateway = await gatewayWith({ maxResponseBytes: SMALL_CAP });
    await testbed.simulator.setFaults({ [transport]: { hostile: payload } });
    const { result, ms, heapGrowth } = await timed(() => askFlow(gateway, account));
    expectUpstreamError(result);
    expect(ms).toBeLessThan(2_000);
    expect(heapGrowth).toBeLessThan(64 * MiB);
    expect(logsOf(gateway)).toContain(`response larger than ${SMALL_CAP} bytes`);
    const stats = await testbed.simulator.stats();
    expect(stats[transport].hostileAnswers).toBe(1);
    // What the simulator managed to hand over before the gateway hung up: socket buffers, not the body.
    expect(stats[transport].hostileBytesSent).toBeLessThan(OVERSIZE_BYTES / 2);
  });

  it('enforces the default cap of 20 MiB', async () => {
    const gateway = await gatewayWith();
    await testbed.simulator.setFaults({ [transport]: { hostile: 'oversize-chunked' } });
    const { result, ms } = await timed(() => askFlow(gateway, account));
    expectUpstreamError(result);
    expect(ms).toBeLessThan(5_000);
    expect(logsOf(gateway)).toContain(`response larger than ${20 * MiB} bytes`);
  });
});

describe.each(transports)('canary application keys over %s', (_name, transport, account) => {
  it('stay out of problems and logs when upstream echoes them back in its error', async () => {
    const gateway = await gatewayWith();
    await testbed.simulator.setFaults({ [transport]: { hostile: 'echo' } });
    expectUpstreamError(await askFlow(gateway, account));
    // Upstream did receive the key, and quoted it: in a SOAP fault's code, string and detail, or in REST's JSON.
    expect((await testbed.simulator.stats())[transport].hostileAnswers).toBe(1);
    expect(logsOf(gateway)).toContain(transport === 'soap' ? 'upstream fault Client' : 'upstream answered 400');
  });

  it('stay out of problems and logs when the HTTP client fails with the request in its error', async () => {
    // One attempt: a cut-off answer is a network failure the gateway would otherwise retry.
    const gateway = await gatewayWith({ resilience: defaultResilience({ retryMaxAttempts: 1 }) });
    await testbed.simulator.setFaults({ [transport]: { hostile: 'truncated' } });
    expectUpstreamError(await askFlow(gateway, account));
    expect((await testbed.simulator.stats())[transport].hostileAnswers).toBe(1);
    expect(logsOf(gateway)).toMatch(/request failed: \w+/);
  });

  it('stay out of problems and logs when upstream rejects them', async () => {
    const gateway = await gatewayWith({}, [WRONG_KEY, WRONG_KEY]);
    const response = await askFlow(gateway, account);
    expect(response.status).toBe(502);
    expect(response.body).toMatchObject({ type: '/problems/upstream-unauthorized' });
    expect(logsOf(gateway)).toContain(`account ${account}`);
  });
});

describe('the WSDL', () => {
  let wsdl: string;
  let xsd: string;
  let mirror: Server;
  let mirrorUrl: string;
  let answer: (path: string) => { status: number; headers?: Record<string, string>; body?: string };

  beforeAll(async () => {
    wsdl = await (await fetch(testbed.simulator.wsdlUrl)).text();
    xsd = await (await fetch(testbed.simulator.wsdlUrl.replace(/\.wsdl$/, '.xsd'))).text();
    mirror = createServer((req, res) => {
      const { status, headers, body } = answer(req.url ?? '');
      res.writeHead(status, { 'content-type': 'text/xml', ...headers }).end(body);
    });
    await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
    mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => mirror?.close(resolve)));

  let wsdls = 0;
  /** A SOAP account whose WSDL is on the mirror, and whose calls go to the simulator. */
  const viaMirror = async (wsdlPath = `/${(wsdls += 1)}/service.wsdl`) => {
    await testbed.simulator.reset();
    const gateway = await gatewayWith({
      wsdl: `${mirrorUrl}${wsdlPath}`,
      soapEndpoint: `${testbed.simulator.url}/interact/version/2/interactiondata/soap`,
    });
    return { gateway, response: await askFlow(gateway, SOAP_ACCOUNT) };
  };
  const mirrorsSimulator = (path: string) => ({ status: 200, body: path.endsWith('.xsd') ? xsd : wsdl });

  it('loads from its configured location, imports beside it included', async () => {
    answer = mirrorsSimulator;
    const { response } = await viaMirror();
    // The id is unknown upstream: a not-found proves the call was built from the mirrored WSDL.
    expect(response.status).toBe(404);
    expect((await testbed.simulator.stats()).soap.wsdlRequests).toBe(0);
  });

  it('follows no redirect', async () => {
    answer = () => ({ status: 302, headers: { location: testbed.simulator.wsdlUrl } });
    const { gateway, response } = await viaMirror();
    expectUpstreamError(response);
    expect((await testbed.simulator.stats()).soap.wsdlRequests).toBe(0);
    expect(logsOf(gateway)).toContain('WSDL could not be loaded');
  });

  it('imports nothing from another origin', async () => {
    const foreign = testbed.simulator.wsdlUrl.replace(/\.wsdl$/, '.xsd');
    answer = () => ({
      status: 200,
      body: wsdl.replace('schemaLocation="interactiondata.xsd"', `schemaLocation="${foreign}"`),
    });
    const { gateway, response } = await viaMirror();
    expectUpstreamError(response);
    expect((await testbed.simulator.stats()).soap.wsdlRequests).toBe(0);
    expect(logsOf(gateway)).toContain('the WSDL imports from outside its own location');
  });

  it('is loaded by every account under its own limits, never taken from an earlier load', async () => {
    answer = mirrorsSimulator;
    expect((await viaMirror('/shared/service.wsdl')).response.status).toBe(404);
    answer = () => ({ status: 302, headers: { location: testbed.simulator.wsdlUrl } });
    expectUpstreamError((await viaMirror('/shared/service.wsdl')).response);
  });

  it('carries no DOCTYPE', async () => {
    answer = (path) => ({
      status: 200,
      body: path.endsWith('.xsd') ? xsd : wsdl.replace('?>', '?><!DOCTYPE wsdl:definitions>'),
    });
    const { gateway, response } = await viaMirror();
    expectUpstreamError(response);
    expect(logsOf(gateway)).toContain('WSDL could not be loaded: upstream XML carries a DOCTYPE');
  });
});

describe('SOAP answers the soap package would have mangled', () => {
  let upstream: Server;
  let endpoint: string;
  let answer: { status: number; body: string; dripMs?: number };

  beforeAll(async () => {
    upstream = createServer((_req, res) => {
      res.writeHead(answer.status, { 'content-type': 'text/xml; charset=utf-8' });
      if (answer.dripMs === undefined) return void res.end(answer.body);
      void (async () => {
        for (const character of answer.body) {
          if (res.destroyed) return;
          res.write(character);
          await sleep(answer.dripMs);
        }
        res.end();
      })();
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/soap`;
  });
  afterAll(() => new Promise((resolve) => upstream?.close(resolve)));

  const envelope = (body: string, prolog = '') =>
    `<?xml version="1.0" encoding="UTF-8"?>${prolog}<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>${body}</S:Body></S:Envelope>`;
  const notFound = (text = 'history for UUID 1 was not found') =>
    `<a:${SOAP_NOT_FOUND_ELEMENT} xmlns:a="${SOAP_AGENT_NAMESPACE}"><a:uniqueId>${text}</a:uniqueId></a:${SOAP_NOT_FOUND_ELEMENT}>`;
  const ask = async (body: string, status = 200) => {
    answer = { status, body };
    const gateway = await gatewayWith({ soapEndpoint: endpoint });
    return { gateway, response: await askFlow(gateway, SOAP_ACCOUNT) };
  };

  it('answers not-found for the plain not-found envelope these cases start from', async () => {
    expect((await ask(envelope(notFound()))).response.status).toBe(404);
  });

  it.each([
    ['a lowercase doctype', envelope(notFound(), '<!doctype S:Envelope>')],
    ['a DOCTYPE after the envelope', `${envelope(notFound())}<!DOCTYPE S:Envelope>`],
    ['a DOCTYPE inside a CDATA section', envelope(notFound('<![CDATA[<!DOCTYPE x>]]>'))],
  ])('refuses %s', async (_case, body) => {
    const { gateway, response } = await ask(body);
    expectUpstreamError(response);
    expect(logsOf(gateway)).toContain('upstream XML carries a DOCTYPE');
  });

  it('refuses a DOCTYPE that only removing a comment would spell, as a body it cannot parse', async () => {
    const { gateway, response } = await ask(envelope(notFound(), '<<!-- -->!DOCTYPE S:Envelope>'));
    expectUpstreamError(response);
    expect(logsOf(gateway)).toContain('cannot be parsed');
  });

  it('refuses a megabyte of "<" at once, where cutting out the envelope would take minutes', async () => {
    answer = { status: 200, body: '<'.repeat(1024 * 1024) };
    const gateway = await gatewayWith({ soapEndpoint: endpoint });
    const { result, ms } = await timed(() => askFlow(gateway, SOAP_ACCOUNT));
    expectUpstreamError(result);
    expect(ms).toBeLessThan(1_000);
  });

  it('reads an answer too large to read inline on a worker, and refuses a broken one there alike', async () => {
    const page = (n: number) =>
      `<page><timestamp>1795379251099</timestamp><language>en-US</language><pageNavigation><navigationTitle>Step ${n}</navigationTitle>` +
      '<pageReferenceName>p</pageReferenceName><navigationLeft><buttonState>enabled</buttonState><buttonVisible>false</buttonVisible>' +
      '<buttonLabel>Back</buttonLabel><buttonAction>back</buttonAction></navigationLeft><navigationRight><buttonState>enabled</buttonState>' +
      '<buttonVisible>true</buttonVisible><buttonLabel>Next</buttonLabel><buttonAction>next</buttonAction></navigationRight></pageNavigation>' +
      '<pageContent><contentHeader><id>1</id><innerHtml>&lt;p&gt;Question&lt;/p&gt;</innerHtml></contentHeader></pageContent></page>';
    const pages = Array.from({ length: 400 }, (_, i) => page(i + 1)).join('');
    const whole = envelope(
      `<r:GetInteractionFullFlowByUUIDResponse xmlns:r="${SOAP_NAMESPACE}">${pages}</r:GetInteractionFullFlowByUUIDResponse>`,
    );
    // Above the 128 KiB read on the event loop.
    expect(whole.length).toBeGreaterThan(192 * 1024);
    const read = await ask(whole);
    expect(read.response.status).toBe(200);
    expect(read.response.body.pages).toHaveLength(400);
    expect(read.response.body.pages[399].title).toBe('Step 400');
    const broken = await ask(whole.slice(0, -40));
    expectUpstreamError(broken.response);
    expect(logsOf(broken.gateway)).toContain('upstream SOAP body cannot be parsed');
  });

  it('gives up on an answer dripping in slower than the account timeout', async () => {
    answer = { status: 200, body: envelope(notFound()), dripMs: 50 };
    const gateway = await gatewayWith({ soapEndpoint: endpoint, timeoutMs: 400 });
    const { result, ms } = await timed(() => askFlow(gateway, SOAP_ACCOUNT));
    expect(result.status).toBe(504);
    expect(ms).toBeLessThan(1_500);
  });

  it.each([
    ['a SOAP code refined with it', `S:Server.${CANARIES[1]}`, 'upstream fault Server'],
    ['a code of its own', `x:${CANARIES[1]}`, 'upstream fault with an unknown code'],
  ])('names only SOAP’s own fault codes when upstream puts a key in %s', async (_case, code, logged) => {
    const fault = `<S:Fault><faultcode>${code}</faultcode><faultstring>${CANARIES[1]}</faultstring></S:Fault>`;
    const { gateway, response } = await ask(envelope(fault), 500);
    expectUpstreamError(response);
    expect(logsOf(gateway)).toContain(logged);
  });
});

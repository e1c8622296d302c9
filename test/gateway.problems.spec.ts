import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GatewayConfigModule } from '../apps/gateway/src/config/gateway-config.module.js';
import { DocsSettings } from '../apps/gateway/src/config/gateway.schema.js';
import { PROBLEM_TYPES, type ProblemSlug } from '../apps/gateway/src/problems/problem-types.js';
import { ProblemsModule } from '../apps/gateway/src/problems/problems.module.js';
import { DEMO_ACCOUNTS, DEMO_IDS } from './support/simulator.js';
import {
  CapturingLogger,
  REST_ACCOUNT,
  SOAP_ACCOUNT,
  demoAccounts,
  memoryCache,
  type RunningGateway,
} from './support/gateway.js';
import { flowPath } from './support/paths.js';
import { useTestbed } from './support/testbed.js';

const testbed = useTestbed();
let gateway: RunningGateway;
beforeEach(async () => {
  gateway = await testbed.gateway();
});

function expectProblem(response: request.Response, slug: ProblemSlug) {
  expect(response.status).toBe(PROBLEM_TYPES[slug].status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({
    type: `/problems/${slug}`,
    title: PROBLEM_TYPES[slug].title,
    status: PROBLEM_TYPES[slug].status,
    detail: expect.any(String),
    // supertest keeps the request it sent, but its typings do not show it.
    instance: (response as unknown as { req: { path: string } }).req.path,
    requestId: response.headers['x-request-id'],
  });
  return response.body as { detail: string; errors?: Array<{ field: string; message: string }> };
}

const transports = [
  ['REST', REST_ACCOUNT],
  ['SOAP', SOAP_ACCOUNT],
] as const;

describe('problem mapping', () => {
  it('answers an unknown account with account-not-found, asking nothing upstream', async () => {
    const body = expectProblem(await gateway.http().get(flowPath('99999999', DEMO_IDS.claim)), 'account-not-found');
    expect(body.detail).toContain('99999999');
    expect((await testbed.simulator.stats()).total).toBe(0);
  });

  describe.each(transports)('over %s', (_transport, account) => {
    it('maps upstream not-found to interaction-not-found and suggests the wider search', async () => {
      const narrow = expectProblem(
        await gateway.http().get(flowPath(account, DEMO_IDS.notFound)),
        'interaction-not-found',
      );
      expect(narrow.detail).toContain('last 3 months');
      expect(narrow.detail).toContain('widerSearch=true');
      const wide = expectProblem(
        await gateway.http().get(flowPath(account, DEMO_IDS.notFound, '?widerSearch=true')),
        'interaction-not-found',
      );
      expect(wide.detail).toContain('last 12 months');
      expect(wide.detail).not.toContain('Retry');
      const byAttribute = await gateway.http().get(flowPath(account, { callerAttribute: 'nobody' }));
      expect(expectProblem(byAttribute, 'interaction-not-found').detail).toContain('caller attribute nobody');
    });

    it('maps an upstream internal error to upstream-error without its body', async () => {
      const response = await gateway.http().get(flowPath(account, DEMO_IDS.internalError));
      expectProblem(response, 'upstream-error');
      expect(response.text).not.toContain('exception');
      expect(response.text).not.toContain('SOAP-ENV');
    });

    it('maps injected upstream failures to upstream-error', async () => {
      await testbed.simulator.setFaults({ rest: { errorRate: 1 }, soap: { errorRate: 1 } });
      expectProblem(await gateway.http().get(flowPath(account, DEMO_IDS.claim)), 'upstream-error');
    });
  });

  it.each(transports)(
    'maps rejected credentials over %s to upstream-unauthorized and logs the account, never the key',
    async (_t, account) => {
      const logger = new CapturingLogger();
      const wrongKey = 'canary-wrong-application-key';
      const misconfigured = await testbed.gateway({}, { applicationKey: wrongKey }, { logger });
      const response = await misconfigured.http().get(flowPath(account, DEMO_IDS.claim));
      const body = expectProblem(response, 'upstream-unauthorized');
      expect(body.detail).toContain(account);
      expect(response.text).not.toContain(wrongKey);
      const logged = logger.lines.join('\n');
      expect(logged).toContain(`account ${account}`);
      expect(logged).not.toContain(wrongKey);
      expect(logged).not.toContain(DEMO_ACCOUNTS[0].applicationKey);
    },
  );

  it.each(transports)(
    'maps an upstream slower than the account timeout over %s to upstream-timeout',
    async (_t, account) => {
      const impatient = await testbed.gateway({}, { timeoutMs: 300 });
      // The SOAP client loads its WSDL once; do that (with another id) before the simulator slows down.
      await impatient.http().get(flowPath(account, DEMO_IDS.callback)).expect(200);
      await testbed.simulator.setFaults({ rest: { latencyMs: 3_000 }, soap: { latencyMs: 3_000 } });
      const started = performance.now();
      const body = expectProblem(await impatient.http().get(flowPath(account, DEMO_IDS.claim)), 'upstream-timeout');
      expect(performance.now() - started).toBeLessThan(2_500);
      expect(body.detail).toContain('300 ms');
    },
  );

  describe('an upstream answering what cannot be parsed', () => {
    let upstream: Server;
    let answer: { status: number; type: string; body: string };
    let base: string;
    let broken: RunningGateway;

    beforeAll(async () => {
      upstream = createServer((_req, res) => {
        res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
      });
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((resolve) => upstream?.close(resolve)));
    beforeEach(async () => {
      broken = await testbed.gateway({
        accounts: demoAccounts(testbed.simulator).map((account) =>
          account.transport === 'rest'
            ? { ...account, baseUrl: base }
            : { ...account, soapEndpoint: `${base}/interact/version/2/interactiondata/soap` },
        ),
      });
    });

    it.each([
      ['HTML instead of JSON', 200, 'text/html', '<html>maintenance</html>'],
      ['a JSON object instead of pages', 200, 'application/json', '{"pages":[]}'],
      ['pages that are not objects', 200, 'application/json', '["page one","page two"]'],
      ['a 404 that is not Interact’s sentence', 404, 'text/html', '<h1>Not Found</h1>'],
      ['a 503 from a proxy', 503, 'text/plain', 'Service Unavailable'],
    ])('REST: %s is upstream-error', async (_case, status, type, body) => {
      answer = { status, type, body };
      const response = await broken.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim));
      expectProblem(response, 'upstream-error');
      expect(response.text).not.toContain(body);
    });

    it.each([
      ['not XML at all', 200, 'text/xml', 'garbage'],
      [
        'an unexpected body element',
        200,
        'text/xml',
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><x:Other xmlns:x="urn:x">1</x:Other></s:Body></s:Envelope>',
      ],
      ['a 503 from a proxy', 503, 'text/plain', 'Service Unavailable'],
    ])('SOAP: %s is upstream-error', async (_case, status, type, body) => {
      answer = { status, type, body };
      const response = await broken.http().get(flowPath(SOAP_ACCOUNT, DEMO_IDS.claim));
      expectProblem(response, 'upstream-error');
    });
  });

  it('answers an unknown route with not-found', async () => {
    const body = expectProblem(await gateway.http().get('/v2/accounts/1/interactions/2/flow'), 'not-found');
    expect(body.detail).toContain('/v2/accounts/1/interactions/2/flow');
    expectProblem(await gateway.http().post('/v1/accounts/1/interactions/2/flow/more'), 'not-found');
    // A path that exists, asked with a method it does not take.
    expectProblem(await gateway.http().post(flowPath(REST_ACCOUNT, DEMO_IDS.claim)), 'method-not-allowed');
  });

  it('answers a URL that is not valid UTF-8 with bad-request', async () => {
    expectProblem(await gateway.http().get(`/v1/accounts/${REST_ACCOUNT}/interactions/%C0%AF/flow`), 'bad-request');
    expect((await testbed.simulator.stats()).total).toBe(0);
  });

  it('answers anything unexpected with internal-error, without its message or stack', async () => {
    @Controller('explode')
    class ExplodingController {
      @Get()
      explode(): never {
        throw new Error('secret detail /srv/app/stack.ts:42');
      }
    }
    @Module({
      imports: [
        GatewayConfigModule.forConfig({
          port: 0,
          adminPort: 0,
          host: '127.0.0.1',
          accounts: [],
          cache: memoryCache(),
          logLevel: 'silent',
          shutdownGraceMs: 5_000,
          drainListenMs: 0,
          renderThreads: 1,
          clients: [],
          docsEnabled: true,
          docs: new DocsSettings(),
          corsOrigins: [],
        }),
        ProblemsModule,
      ],
      controllers: [ExplodingController],
    })
    class ExplodingModule {}
    const app = await NestFactory.create<NestFastifyApplication>(ExplodingModule, new FastifyAdapter(), {
      logger: false,
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    try {
      const response = await request(app.getHttpServer()).get('/explode');
      expect(response.status).toBe(500);
      expect(response.body).toMatchObject({
        type: '/problems/internal-error',
        status: 500,
        title: PROBLEM_TYPES['internal-error'].title,
      });
      expect(response.text).not.toContain('secret detail');
      expect(response.text).not.toContain('stack.ts');
    } finally {
      await app.close();
    }
  });
});

describe('validation', () => {
  const invalidIds: Array<[string, string]> = [
    ['an encoded slash', 'a%2Fb'],
    ['a dot-dot segment', '..'],
    ['an encoded dot-dot', '%2e%2e'],
    ['a single dot, encoded', '%2E'],
    ['CRLF', 'a%0D%0Ab'],
    ['NUL', 'a%00b'],
    ['a backslash', 'a%5Cb'],
    ['a double-encoded slash', 'a%252Fb'],
    ['a division slash look-alike', 'a%E2%88%95b'],
    ['a fullwidth solidus', 'a%EF%BC%8Fb'],
    ['a leading space', '%20abc'],
    ['a trailing tab', 'abc%09'],
    ['129 characters', 'x'.repeat(129)],
    ['a 10 kB value', 'y'.repeat(10_000)],
    ['nothing', ''],
  ];

  it.each(invalidIds)('rejects an interaction id with %s, asking nothing upstream', async (_case, id) => {
    const body = expectProblem(
      await gateway.http().get(`/v1/accounts/${REST_ACCOUNT}/interactions/${id}/flow`),
      'validation-failed',
    );
    expect(body.errors?.[0]?.field).toBe('interactionId');
    expect((await testbed.simulator.stats()).total).toBe(0);
  });

  it.each(invalidIds)('rejects a caller attribute with %s, asking nothing upstream', async (_case, value) => {
    const response = await gateway.http().get(`/v1/accounts/${SOAP_ACCOUNT}/caller-attributes/${value}/flow`);
    const body = expectProblem(response, 'validation-failed');
    expect(body.errors?.map((error) => error.field)).toContain('callerAttribute');
    expect((await testbed.simulator.stats()).total).toBe(0);
  });

  it('accepts 128 characters', async () => {
    await gateway
      .http()
      .get(flowPath(REST_ACCOUNT, 'z'.repeat(128)))
      .expect(404);
  });

  it.each(['yes', 'TRUE', '1', '', 'true&widerSearch=false'])('rejects widerSearch=%s', async (value) => {
    const body = expectProblem(
      await gateway.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim, `?widerSearch=${value}`)),
      'validation-failed',
    );
    expect(body.errors).toContainEqual({ field: 'widerSearch', message: 'widerSearch must be "true" or "false"' });
    expect((await testbed.simulator.stats()).total).toBe(0);
  });

  it('rejects a query parameter the operation does not have', async () => {
    const body = expectProblem(
      await gateway.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim, '?wider=true')),
      'validation-failed',
    );
    expect(body.errors).toEqual([{ field: 'wider', message: 'wider is not a parameter of this operation' }]);
  });

  it('rejects a malformed account id', async () => {
    const body = expectProblem(
      await gateway.http().get(`/v1/accounts/12%2034/interactions/${DEMO_IDS.claim}/flow`),
      'validation-failed',
    );
    expect(body.errors?.[0]?.field).toBe('accountId');
  });

  it('lists every broken path segment at once', async () => {
    const response = await gateway.http().get('/v1/accounts/bad%20id/interactions/../flow');
    const body = expectProblem(response, 'validation-failed');
    expect(new Set(body.errors?.map((error) => error.field))).toEqual(new Set(['accountId', 'interactionId']));
  });
});

describe('problem type pages', () => {
  it.each(Object.keys(PROBLEM_TYPES) as ProblemSlug[])('describes %s', async (slug) => {
    const response = await gateway.http().get(`/problems/${slug}`).expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.text).toContain(`<h1>${PROBLEM_TYPES[slug].title.replace(/'/g, '&#39;')}</h1>`);
    expect(response.text).toContain(`HTTP status ${PROBLEM_TYPES[slug].status}`);
  });

  it('answers an unknown slug with not-found', async () => {
    expectProblem(await gateway.http().get('/problems/no-such-problem'), 'not-found');
  });

  it('builds absolute type URIs when a public base URL is configured', async () => {
    const absolute = await testbed.gateway({ publicBaseUrl: 'https://flows.example.test' });
    const response = await absolute.http().get(flowPath('99999999', DEMO_IDS.claim));
    expect(response.body.type).toBe('https://flows.example.test/problems/account-not-found');
  });
});

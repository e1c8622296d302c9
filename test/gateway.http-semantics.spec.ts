import { once } from 'node:events';
import { maxHeaderSize } from 'node:http';
import { connect } from 'node:net';
import type { Response } from 'supertest';
import { Client } from 'undici';
import { describe, expect, it } from 'vitest';
import { DEMO_IDS } from './support/simulator.js';
import { REST_ACCOUNT, TEST_API_KEY, apiClient, type RunningGateway } from './support/gateway.js';
import { keptRequest } from './support/contract.js';
import { useTestbed } from './support/testbed.js';
import { flowPath, photoPath } from './support/paths.js';

const testbed = useTestbed();

const CLAIM = flowPath(REST_ACCOUNT, DEMO_IDS.claim);

describe('validation errors', () => {
  it('gives one error per field, the most telling, before the flow is cached and on a fresh hit', async () => {
    const gw = await testbed.gateway();
    // Each value breaks several rules of its field: white space, "/" and its look-alikes, a comma and no boolean.
    const refusals: Array<[string, unknown]> = [
      [
        `/v1/accounts/${REST_ACCOUNT}%20/interactions/%20a%2F..%E2%88%95/flow`,
        [
          { field: 'interactionId', message: 'interactionId must not begin or end with white space' },
          { field: 'accountId', message: 'accountId must be 1 to 64 letters, digits, "_" or "-"' },
        ],
      ],
      [
        flowPath(REST_ACCOUNT, DEMO_IDS.claim, '?widerSearch=true,false'),
        [{ field: 'widerSearch', message: 'widerSearch must be "true" or "false"' }],
      ],
    ];
    const errorsOf = async (path: string) => (await gw.http().get(path).expect(400)).body.errors;
    for (const [path, errors] of refusals) expect(await errorsOf(path)).toEqual(errors);
    await gw.http().get(CLAIM).expect(200);
    expect((await gw.http().get(CLAIM).expect(200)).headers['cache-status']).toContain('; hit;');
    for (const [path, errors] of refusals) expect(await errorsOf(path)).toEqual(errors);
  });

  it('says an empty id is empty, and nothing else', async () => {
    const gw = await testbed.gateway();
    const response = await gw.http().get(`/v1/accounts/${REST_ACCOUNT}/interactions//flow`).expect(400);
    expect(response.body.errors).toEqual([{ field: 'interactionId', message: 'interactionId must not be empty' }]);
  });
});

/** The RateLimit fields of an answer, read as draft-ietf-httpapi-ratelimit-headers writes them. */
function quotaOf(response: Response) {
  const policy = /^"per-minute";q=(\d+);w=(\d+)$/.exec(response.headers['ratelimit-policy'] ?? '');
  const current = /^"per-minute";r=(\d+);t=(\d+)$/.exec(response.headers.ratelimit ?? '');
  if (!policy || !current)
    throw new Error(`no RateLimit fields on a ${response.status}: ${JSON.stringify(response.headers)}`);
  return { q: Number(policy[1]), w: Number(policy[2]), r: Number(current[1]), t: Number(current[2]) };
}

describe('RateLimit fields', () => {
  it('counts down on every answer after admission, on both paths and in problems, and the 429 names the window Retry-After does', async () => {
    const gw = await testbed.gateway({ clients: [apiClient('desk', 'desk-key', [REST_ACCOUNT], 8)] });
    const as = (path: string, headers: Record<string, string> = {}) =>
      gw.anonymous().get(path).set('Authorization', 'Bearer desk-key').set(headers);
    const answers = [
      await as(CLAIM).expect(200), // a miss, answered by Nest
      await as(CLAIM).expect(200), // a fresh hit, answered by CachedFlowHook
    ];
    const etag = answers[1].headers.etag;
    answers.push(
      await as(CLAIM, { 'If-None-Match': etag }).expect(304),
      await as(flowPath(REST_ACCOUNT, DEMO_IDS.notFound)).expect(404),
      await as(flowPath(REST_ACCOUNT, DEMO_IDS.claim, '?widerSearch=TRUE')).expect(400),
      await as(flowPath('99999999', DEMO_IDS.claim)).expect(404),
      await as(flowPath(REST_ACCOUNT, DEMO_IDS.claim, '?wider=1')).expect(400),
      await as(CLAIM).expect(200),
    );
    const quotas = answers.map(quotaOf);
    expect(quotas.map(({ q, w, r }) => ({ q, w, r }))).toEqual(
      [7, 6, 5, 4, 3, 2, 1, 0].map((r) => ({ q: 8, w: 60, r })),
    );
    for (const { t } of quotas) expect(t).toBeGreaterThanOrEqual(1);
    for (const { t } of quotas) expect(t).toBeLessThanOrEqual(60);

    for (const path of [CLAIM, flowPath(REST_ACCOUNT, DEMO_IDS.callback)]) {
      const limited = await as(path).expect(429);
      expect(quotaOf(limited)).toMatchObject({ q: 8, w: 60, r: 0, t: Number(limited.headers['retry-after']) });
    }
  });

  it('is on the photo route too', async () => {
    const gw = await testbed.gateway();
    const flow = (await gw.http().get(CLAIM).expect(200)).body as { pages: Array<{ photos: Array<{ href: string }> }> };
    const href = flow.pages.flatMap((page) => page.photos)[0].href;
    const quota = quotaOf(await gw.http().get(href).expect(200));
    expect(quota).toMatchObject({ q: 100_000, w: 60 });
    expect(quota.r).toBeLessThan(100_000);
  });

  it('is not on a refusal before the client is known or admitted', async () => {
    const gw = await testbed.gateway();
    for (const refused of [
      await gw.anonymous().get(CLAIM).expect(401),
      await gw.anonymous().get(CLAIM).set('Authorization', 'Bearer wrong-key').expect(401),
    ]) {
      expect(refused.headers['ratelimit']).toBeUndefined();
      expect(refused.headers['ratelimit-policy']).toBeUndefined();
    }
  });
});

describe('methods', () => {
  const PATHS = [
    CLAIM,
    flowPath(REST_ACCOUNT, { callerAttribute: DEMO_IDS.claimAttribute }),
    photoPath(REST_ACCOUNT, DEMO_IDS.claim, 'cgNfCv18QzqrmozmD6ctD4'),
    '/problems/not-found',
    '/docs/openapi.json',
  ];
  const METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'PURGE', 'OPTIONS', 'TRACE'];

  /** Each method on each path, with the test client's key or none: the method is refused before the key is read. */
  async function refusals(gw: RunningGateway) {
    const client = new Client(gw.url);
    try {
      const answers = [];
      for (const path of PATHS)
        for (const method of METHODS)
          for (const headers of [{ authorization: `Bearer ${TEST_API_KEY}` }, {}] as Record<string, string>[]) {
            const response = await keptRequest(gw.contract, client, { method, path, headers });
            const body = JSON.parse(response.text) as { type: string; detail: string; instance: string };
            answers.push({
              method,
              path,
              status: response.status,
              allow: response.headers.allow,
              contentType: response.headers['content-type'],
              rateLimit: response.headers.ratelimit,
              body: { type: body.type, detail: body.detail, instance: body.instance },
            });
          }
      return answers;
    } finally {
      await client.close();
    }
  }

  it('answers a method a path does not take with 405 and Allow, the same before and after its flow is cached', async () => {
    const gw = await testbed.gateway();
    const before = await refusals(gw);
    for (const answer of before)
      expect(answer).toEqual({
        method: answer.method,
        path: answer.path,
        status: 405,
        allow: 'GET, HEAD',
        contentType: 'application/problem+json; charset=utf-8',
        rateLimit: undefined,
        body: {
          type: '/problems/method-not-allowed',
          detail: `${answer.path} does not take ${answer.method}; it takes GET, HEAD.`,
          instance: answer.path,
        },
      });
    await gw.http().get(CLAIM).expect(200);
    expect((await gw.http().get(CLAIM).expect(200)).headers['cache-status']).toContain('; hit;');
    expect(await refusals(gw)).toEqual(before);
    expect((await testbed.simulator.stats()).total).toBe(1);
  });

  it('keeps 404 for a path no route has, whatever the method', async () => {
    const gw = await testbed.gateway();
    const client = new Client(gw.url);
    try {
      for (const path of ['/v1/nowhere', `${CLAIM}/more`, '/v1/accounts', '/problems'])
        for (const method of ['GET', 'POST', 'DELETE'] as const) {
          const response = await keptRequest(gw.contract, client, {
            method,
            path,
            headers: { authorization: `Bearer ${TEST_API_KEY}` },
          });
          expect(response.status, `${method} ${path}`).toBe(404);
          expect(response.headers.allow).toBeUndefined();
          expect((JSON.parse(response.text) as { type: string }).type).toBe('/problems/not-found');
        }
    } finally {
      await client.close();
    }
  });

  it('answers an OPTIONS that is no CORS preflight as without CORS, when CORS is on, and still answers preflights', async () => {
    const origin = 'https://desk.example';
    const gw = await testbed.gateway({ corsOrigins: [origin] });
    const client = new Client(gw.url);
    try {
      const options = async (path: string, headers: Record<string, string> = { origin }) => {
        const response = await keptRequest(gw.contract, client, { method: 'OPTIONS', path, headers });
        return {
          status: response.status,
          allow: response.headers.allow,
          type: (JSON.parse(response.text) as { type: string }).type,
        };
      };
      expect(await options(CLAIM)).toEqual({ status: 405, allow: 'GET, HEAD', type: '/problems/method-not-allowed' });
      expect(await options('/v1/nowhere')).toEqual({ status: 404, allow: undefined, type: '/problems/not-found' });
      // Without an Origin it is no preflight either, whatever else it carries.
      expect(await options(CLAIM, { 'access-control-request-method': 'GET' })).toEqual({
        status: 405,
        allow: 'GET, HEAD',
        type: '/problems/method-not-allowed',
      });
      // A preflight is CORS's own exchange, outside the API's document.
      const preflight = await client.request({
        method: 'OPTIONS',
        path: CLAIM,
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      await preflight.body.dump();
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(origin);
      expect(preflight.headers['access-control-allow-methods']).toBe('GET');
    } finally {
      await client.close();
    }
  });
});

describe('HEAD', () => {
  it('answers as GET does, without the body, before the flow is cached and on a fresh hit', async () => {
    const gw = await testbed.gateway();
    const client = new Client(gw.url);
    const head = async (path: string, headers: Record<string, string> = {}) => {
      const response = await keptRequest(gw.contract, client, {
        method: 'HEAD',
        path,
        headers: { authorization: `Bearer ${TEST_API_KEY}`, ...headers },
      });
      return { status: response.status, headers: response.headers, body: response.text };
    };
    try {
      const miss = await head(CLAIM);
      expect(miss).toMatchObject({ status: 200, body: '' });
      expect(miss.headers['cache-status']).toContain('; fwd=miss;');
      const get = await gw.http().get(CLAIM).expect(200);
      const hit = await head(CLAIM);
      expect(hit).toMatchObject({ status: 200, body: '' });
      expect(hit.headers['cache-status']).toContain('; hit;');
      for (const answer of [miss, hit]) {
        expect(answer.headers['content-type']).toBe(get.headers['content-type']);
        expect(answer.headers['content-length']).toBe(String(Buffer.byteLength(get.text)));
        expect(answer.headers.etag).toBe(get.headers.etag);
        expect(answer.headers.ratelimit).toMatch(/^"per-minute";r=\d+;t=\d+$/);
      }
      expect(await head(CLAIM, { 'if-none-match': get.headers.etag })).toMatchObject({ status: 304, body: '' });
      expect(await head(CLAIM, { accept: 'text/html' })).toMatchObject({ status: 406, body: '' });

      const notFound = await head(flowPath(REST_ACCOUNT, DEMO_IDS.notFound));
      expect(notFound).toMatchObject({ status: 404, body: '' });
      expect(notFound.headers['content-type']).toMatch(/^application\/problem\+json/);

      const href = (get.body as { pages: Array<{ photos: Array<{ href: string }> }> }).pages.flatMap(
        (page) => page.photos,
      )[0].href;
      const photo = await head(href);
      expect(photo).toMatchObject({ status: 200, body: '' });
      expect(photo.headers['content-type']).toMatch(/^image\//);
    } finally {
      await client.close();
    }
  });
});

describe('Accept', () => {
  /** The status and type of each answer to path with each Accept, undefined sending none. */
  async function answersTo(gw: RunningGateway, path: string, accepts: Array<string | undefined>) {
    const client = new Client(gw.url);
    try {
      const answers = [];
      for (const accept of accepts) {
        const response = await keptRequest(gw.contract, client, {
          method: 'GET',
          path,
          headers: { authorization: `Bearer ${TEST_API_KEY}`, ...(accept !== undefined && { accept }) },
        });
        answers.push({
          accept,
          status: response.status,
          contentType: response.headers['content-type'],
          type: response.status === 406 ? (JSON.parse(response.text) as { type: string }).type : undefined,
          rateLimited: typeof response.headers.ratelimit === 'string',
        });
      }
      return answers;
    } finally {
      await client.close();
    }
  }

  const FLOW_ACCEPTED = [
    undefined,
    '*/*',
    'application/*',
    'application/json',
    'APPLICATION/JSON; charset=utf-8',
    'application/json;q=0.1, text/html',
    'application/problem+json',
    'text/html, */*;q=0.01',
    'not a media range',
  ];
  const FLOW_REFUSED = [
    'text/html',
    'image/png, text/*',
    'application/xml',
    'application/json;q=0, application/problem+json;q=0, */*',
    '*/*;q=0',
    'application/*;q=0',
  ];

  it('answers a flow to any Accept that admits JSON, and 406 to one that excludes it, on both paths', async () => {
    const gw = await testbed.gateway();
    const accepted = {
      status: 200,
      contentType: 'application/json; charset=utf-8',
      type: undefined,
      rateLimited: true,
    };
    const refused = {
      status: 406,
      contentType: 'application/problem+json; charset=utf-8',
      type: '/problems/not-acceptable',
      rateLimited: true,
    };
    const expected = [
      ...FLOW_ACCEPTED.map((accept) => ({ accept, ...accepted })),
      ...FLOW_REFUSED.map((accept) => ({ accept, ...refused })),
    ];
    // The first request fills the cache: every later one is a fresh hit, refused or not.
    const first = await answersTo(gw, CLAIM, [...FLOW_ACCEPTED, ...FLOW_REFUSED]);
    expect(first).toEqual(expected);
    const hit = await gw.http().get(CLAIM).expect(200);
    expect(hit.headers['cache-status']).toContain('; hit;');
    expect(await answersTo(gw, CLAIM, [...FLOW_ACCEPTED, ...FLOW_REFUSED])).toEqual(expected);
    // A refusal on the Nest path, with a flow not cached.
    const uncached = await answersTo(gw, flowPath(REST_ACCOUNT, DEMO_IDS.callback), FLOW_REFUSED);
    expect(uncached).toEqual(FLOW_REFUSED.map((accept) => ({ accept, ...refused })));
    expect((await testbed.simulator.stats()).total).toBe(1);
  });

  it('answers a photo to any Accept that admits an image, and 406 to one that admits none', async () => {
    const gw = await testbed.gateway();
    const flow = (await gw.http().get(CLAIM).expect(200)).body as { pages: Array<{ photos: Array<{ href: string }> }> };
    const href = flow.pages.flatMap((page) => page.photos)[0].href;
    const accepted = [undefined, '*/*', 'image/*', 'image/webp', 'image/png, */*;q=0.1', 'text/html, image/*;q=0.2'];
    const refused = ['application/json', 'text/html', 'image/*;q=0', 'application/problem+json'];
    const answers = await answersTo(gw, href, [...accepted, ...refused]);
    expect(answers.map(({ accept, status }) => ({ accept, status }))).toEqual([
      ...accepted.map((accept) => ({ accept, status: 200 })),
      ...refused.map((accept) => ({ accept, status: 406 })),
    ]);
    for (const answer of answers.filter(({ status }) => status === 200)) expect(answer.contentType).toMatch(/^image\//);
  });
});

describe('a header section too large', () => {
  /** What the gateway answers to bytes written as they come, in the chunks given. */
  async function rawAnswer(url: string, chunks: string[]): Promise<string> {
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    let answer = '';
    socket.on('data', (data: Buffer) => (answer += data.toString('latin1')));
    const closed = once(socket, 'close');
    for (const chunk of chunks) {
      if (socket.destroyed) break;
      socket.write(chunk);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await closed;
    return answer;
  }

  it('is answered 431 as a problem, before routing, the same before and after the flow is cached', async () => {
    const gw = await testbed.gateway();
    const client = new Client(gw.url);
    const oversized = async () => {
      const response = await keptRequest(gw.contract, client, {
        method: 'GET',
        path: `${CLAIM}?widerSearch=false`,
        headers: { authorization: `Bearer ${TEST_API_KEY}`, 'x-padding': 'p'.repeat(20_000) },
      });
      const body = JSON.parse(response.text) as Record<string, unknown>;
      expect(response.status).toBe(431);
      expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers.connection).toBe('close');
      expect(body.requestId).toBe(response.headers['x-request-id']);
      return { ...body, requestId: undefined };
    };
    try {
      const before = await oversized();
      expect(before).toEqual({
        type: '/problems/headers-too-large',
        title: 'The request headers are too large',
        status: 431,
        detail: `The request's header section is larger than ${maxHeaderSize} bytes.`,
        instance: `${CLAIM}?widerSearch=false`,
        requestId: undefined,
      });
      await gw.http().get(CLAIM).expect(200);
      expect((await gw.http().get(CLAIM).expect(200)).headers['cache-status']).toContain('; hit;');
      expect(await oversized()).toEqual(before);
    } finally {
      await client.close();
    }
  });

  it('names the request’s own URL with an empty instance when the request line came in an earlier packet', async () => {
    const gw = await testbed.gateway();
    const padding = Array.from({ length: 40 }, (_, i) => `x-padding-${i}: ${'p'.repeat(1_000)}\r\n`);
    const answer = await rawAnswer(gw.url, [`GET ${CLAIM} HTTP/1.1\r\nhost: gateway\r\n`, ...padding, '\r\n']);
    expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    expect(body).toMatchObject({ type: '/problems/headers-too-large', status: 431, instance: '' });
  });
});

import request from 'supertest';
import { beforeEach, describe, expect, it } from 'vitest';
import { REST_ACCOUNT, keptTo, type RunningGateway } from './support/gateway.js';
import { flowPath, photoPath } from './support/paths.js';
import { DEMO_IDS } from './support/simulator.js';
import { useTestbed } from './support/testbed.js';

const testbed = useTestbed();
let gateway: RunningGateway;
let flow: { url: string; status: number; headers: Record<string, string>; body: string };

beforeEach(async () => {
  gateway = await testbed.gateway();
  const url = flowPath(REST_ACCOUNT, DEMO_IDS.claim);
  const response = await gateway.http().get(url).expect(200);
  flow = { url, status: 200, headers: response.headers as Record<string, string>, body: response.text };
});

const check = (changes: Partial<typeof flow> & { method?: string }) =>
  gateway.contract.check({ method: 'GET', ...flow, ...changes });

/** The flow as received, with one change. */
const flowBody = (change: (flow: { pages: { index: unknown; answers: Record<string, unknown>[] }[] }) => void) => {
  const body = JSON.parse(flow.body) as Parameters<typeof change>[0];
  change(body);
  return JSON.stringify(body);
};

describe('the contract of the served document', () => {
  it('is the document the gateway serves, whatever its configuration', async () => {
    const served = (await gateway.http().get('/docs/openapi.json').expect(200)).body as object;
    expect(gateway.contract.document).toEqual(served);
    const elsewhere = await testbed.gateway({ publicBaseUrl: 'https://flows.example.test', docsEnabled: false });
    await elsewhere.http().get('/docs/openapi.json').expect(404);
    expect(JSON.stringify(elsewhere.contract.document)).toContain('"https://flows.example.test/problems/not-found"');
  });

  it('passes a flow as the gateway answers it', () => {
    expect(check({})).toEqual([]);
  });

  it('names the operation and the status that the document does not have', () => {
    expect(check({ status: 201 })).toEqual([
      'GET /v1/accounts/{accountId}/interactions/{interactionId}/flow: status 201 is not documented',
    ]);
  });

  it('names where a body breaks its schema, in the one kind of answer it claims to be', () => {
    const body = flowBody((flow) => {
      flow.pages[0].index = '0';
      flow.pages[0].answers[0].selected = 'yes';
    });
    expect(check({ body })).toEqual([
      'GET /v1/accounts/{accountId}/interactions/{interactionId}/flow 200: the application/json body breaks its schema',
      expect.stringMatching(/^ {2}\/pages\/0\/index must be integer/),
      expect.stringMatching(/^ {2}\/pages\/0\/answers\/0\/selected must be boolean,null/),
    ]);
  });

  it('refuses a value of a kind that never has one', () => {
    const body = flowBody((flow) => {
      const photos = flow.pages.flatMap((page) => page.answers).find((answer) => answer.kind === 'photos');
      photos!.value = 'a path';
    });
    expect(check({ body }).join('\n')).toMatch(/answers\/\d+\/value must be null/);
  });

  it('refuses a media type the response does not document, and a body where it documents none', () => {
    expect(check({ headers: { ...flow.headers, 'content-type': 'text/plain' } })).toEqual([
      expect.stringContaining('Content-Type text/plain is not documented (application/json)'),
    ]);
    expect(check({ status: 304 })).toEqual([expect.stringContaining('Content-Type application/json')]);
  });

  it('requires the headers documented as required, and checks the others by their schema', () => {
    const withoutETag = Object.fromEntries(Object.entries(flow.headers).filter(([name]) => name !== 'etag'));
    expect(check({ headers: withoutETag })).toEqual([
      'GET /v1/accounts/{accountId}/interactions/{interactionId}/flow 200: required header ETag is missing',
    ]);
    const problem = JSON.stringify({
      type: '/problems/rate-limited',
      title: 'Too many requests',
      status: 429,
      detail: 'Slow down.',
      instance: flow.url,
      requestId: 'r1',
    });
    const limited = { status: 429, body: problem, headers: { 'content-type': 'application/problem+json' } };
    expect(check({ ...limited, headers: { ...limited.headers, 'x-request-id': 'r1', 'retry-after': '8' } })).toEqual(
      [],
    );
    expect(check({ ...limited, headers: { ...limited.headers, 'x-request-id': 'r1', 'retry-after': 'soon' } })).toEqual(
      [expect.stringContaining('header Retry-After: "soon"'), expect.stringContaining('must be integer')],
    );
  });

  it('lets a path outside the document answer only a problem', () => {
    const problem = JSON.stringify({
      type: '/problems/not-found',
      title: 'No such resource',
      status: 404,
      detail: 'No route for GET /nowhere.',
      instance: '/nowhere',
      requestId: 'r1',
    });
    const problemType = { 'content-type': 'application/problem+json' };
    expect(check({ url: '/nowhere', status: 404, headers: problemType, body: problem })).toEqual([]);
    expect(check({ url: '/nowhere', status: 404, headers: { 'content-type': 'text/html' }, body: 'x' })).toEqual([
      expect.stringContaining('Content-Type text/html is not documented (application/problem+json)'),
    ]);
    expect(check({ url: '/nowhere', status: 200, headers: problemType, body: problem })).toEqual([
      'GET /nowhere (no operation of the document): status 200 for no operation',
    ]);
    // A method a documented path does not take: the 405 its operations document.
    expect(check({ method: 'POST', status: 404, headers: problemType, body: problem })).toEqual([
      'POST /v1/accounts/{accountId}/interactions/{interactionId}/flow (a method the path does not take): status 404, where 405 is documented',
    ]);
    expect(check({ method: 'POST', status: 405, headers: problemType, body: '{"type":"x"}' })).toEqual([
      expect.stringContaining('required header X-Request-Id is missing'),
      expect.stringContaining('required header Allow is missing'),
      expect.stringContaining('the application/problem+json body breaks its schema'),
      ...Array<unknown>(6).fill(expect.anything()),
    ]);
  });

  it('takes HEAD as its GET without the body, its Content-Type still documented', () => {
    expect(check({ method: 'HEAD', body: '' })).toEqual([]);
    expect(check({ method: 'HEAD', body: '', headers: { ...flow.headers, 'content-type': 'text/html' } })).toEqual([
      expect.stringContaining('Content-Type text/html is not documented (application/json)'),
    ]);
  });

  it('checks a photo by its status, type and headers, not its bytes', () => {
    const photo = photoPath(REST_ACCOUNT, DEMO_IDS.claim, 'cgNfCv18QzqrmozmD6ctD4');
    const headers = {
      'content-type': 'image/png',
      etag: '"e"',
      'cache-control': 'private, max-age=60, immutable',
      'cache-status': 'interact-flow-gateway; hit',
      'content-disposition': 'inline; filename="photo.png"',
      'x-content-type-options': 'nosniff',
      'x-request-id': 'r1',
    };
    expect(gateway.contract.check({ method: 'GET', url: photo, status: 200, headers, body: undefined })).toEqual([]);
    expect(
      gateway.contract.check({ method: 'GET', url: photo, status: 200, headers, body: Buffer.from([1, 2, 3]) }),
    ).toEqual([]);
    expect(
      gateway.contract.check({
        method: 'GET',
        url: photo,
        status: 200,
        headers: { ...headers, 'content-type': 'application/octet-stream' },
        body: undefined,
      }),
    ).toEqual([expect.stringContaining('Content-Type application/octet-stream is not documented (image/*)')]);
  });

  it('fails the request of a client it keeps when the answer breaks it, naming the request', async () => {
    // The simulator answers the gateway's paths as Interact would, which is not the gateway's contract.
    const offContract = keptTo(gateway.contract, request.agent(testbed.simulator.url));
    await expect(offContract.get('/v1/accounts/12345678/interactions/040100713/flow')).rejects.toThrow(
      /^GET http:\/\/127\.0\.0\.1:\d+\/v1\/accounts\/12345678\/interactions\/040100713\/flow answered 404, which the OpenAPI document does not allow:\n/,
    );
  });
});

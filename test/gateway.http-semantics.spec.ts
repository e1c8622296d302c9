import request, { type Response } from 'supertest';
import { describe, expect, it } from 'vitest';
import { DEMO_IDS } from './support/simulator.js';
import { REST_ACCOUNT, apiClient } from './support/gateway.js';
import { useTestbed } from './support/testbed.js';
import { flowPath } from './support/paths.js';

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
      request(gw.url).get(path).set('Authorization', 'Bearer desk-key').set(headers);
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
      await request(gw.url).get(CLAIM).expect(401),
      await request(gw.url).get(CLAIM).set('Authorization', 'Bearer wrong-key').expect(401),
    ]) {
      expect(refused.headers['ratelimit']).toBeUndefined();
      expect(refused.headers['ratelimit-policy']).toBeUndefined();
    }
  });
});

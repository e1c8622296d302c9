import type { Response } from 'supertest';
import { describe, expect, it } from 'vitest';
import { DEMO_IDS } from './support/simulator.js';
import { REST_ACCOUNT, SOAP_ACCOUNT, TEST_API_KEY, apiClient } from './support/gateway.js';
import { useTestbed } from './support/testbed.js';
import { flowPath } from './support/paths.js';

const testbed = useTestbed();

interface Refusal {
  /** The valid request whose flow is cached before the second try. */
  cached: string;
  /** The refused request, as written on the wire. */
  path: string;
  /** Its Authorization header; none when undefined. */
  authorization: string | undefined;
  status: number;
  type: string;
}

const OWN_KEY = `Bearer ${TEST_API_KEY}`;
const CLAIM = flowPath(REST_ACCOUNT, DEMO_IDS.claim);

const REFUSALS: Array<[string, Refusal]> = [
  ['no key', { cached: CLAIM, path: CLAIM, authorization: undefined, status: 401, type: 'unauthorized' }],
  [
    'a wrong key',
    { cached: CLAIM, path: CLAIM, authorization: 'Bearer wrong-key', status: 401, type: 'invalid-api-key' },
  ],
  [
    'a key not allowed for the account',
    {
      cached: flowPath(SOAP_ACCOUNT, DEMO_IDS.claim),
      path: flowPath(SOAP_ACCOUNT, DEMO_IDS.claim),
      authorization: 'Bearer desk-key',
      status: 403,
      type: 'forbidden',
    },
  ],
  [
    'a bad accountId',
    {
      cached: CLAIM,
      path: `/v1/accounts/${REST_ACCOUNT}%20/interactions/${DEMO_IDS.claim}/flow`,
      authorization: OWN_KEY,
      status: 400,
      type: 'validation-failed',
    },
  ],
  [
    'a bad interactionId',
    {
      cached: CLAIM,
      path: `/v1/accounts/${REST_ACCOUNT}/interactions/${DEMO_IDS.claim}%E2%80%8B/flow`,
      authorization: OWN_KEY,
      status: 400,
      type: 'validation-failed',
    },
  ],
  [
    'a bad callerAttribute',
    {
      cached: flowPath(REST_ACCOUNT, { callerAttribute: DEMO_IDS.claimAttribute }),
      path: `/v1/accounts/${REST_ACCOUNT}/caller-attributes/${DEMO_IDS.claimAttribute}%20/flow`,
      authorization: OWN_KEY,
      status: 400,
      type: 'validation-failed',
    },
  ],
  // Both would find the cached flow of widerSearch=false if the hook skipped validating the query.
  [
    'a bad widerSearch',
    {
      cached: CLAIM,
      path: flowPath(REST_ACCOUNT, DEMO_IDS.claim, '?widerSearch=TRUE'),
      authorization: OWN_KEY,
      status: 400,
      type: 'validation-failed',
    },
  ],
  [
    'an unknown query parameter',
    {
      cached: CLAIM,
      path: flowPath(REST_ACCOUNT, DEMO_IDS.claim, '?callback=alert'),
      authorization: OWN_KEY,
      status: 400,
      type: 'validation-failed',
    },
  ],
];

/** What a caller reads of a refusal; the request id differs from one request to the next. */
const refusalOf = (response: Response) => ({
  status: response.status,
  type: response.body.type,
  title: response.body.title,
  detail: response.body.detail,
  errors: response.body.errors,
  contentType: response.headers['content-type'],
  wwwAuthenticate: response.headers['www-authenticate'],
  cacheStatus: response.headers['cache-status'],
  cacheControl: response.headers['cache-control'],
  etag: response.headers.etag,
});

describe('the two paths of a request', () => {
  it.each(REFUSALS)(
    'refuses %s the same before the flow is cached (Nest) and while it is a fresh hit (CachedFlowHook)',
    async (_case, refusal) => {
      const gw = await testbed.gateway({
        clients: [
          apiClient('test', TEST_API_KEY, [REST_ACCOUNT, SOAP_ACCOUNT]),
          apiClient('desk', 'desk-key', [REST_ACCOUNT]),
        ],
      });
      // Without a key, anonymous(): http() sends the test client's.
      const refused = async () =>
        refusalOf(
          await (refusal.authorization === undefined
            ? gw.anonymous().get(refusal.path)
            : gw.http().get(refusal.path).set('Authorization', refusal.authorization)),
        );

      const beforeCaching = await refused();
      expect(beforeCaching).toMatchObject({ status: refusal.status, type: `/problems/${refusal.type}` });

      expect((await gw.http().get(refusal.cached).expect(200)).headers['cache-status']).toContain('; fwd=miss;');
      // A fresh hit, which CachedFlowHook answers before Nest: the same request now meets the hook.
      expect((await gw.http().get(refusal.cached).expect(200)).headers['cache-status']).toContain('; hit;');

      expect(await refused()).toEqual(beforeCaching);
      // Only the request that filled the cache reached Interact.
      expect((await testbed.simulator.stats()).total).toBe(1);
    },
  );
});

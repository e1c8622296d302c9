import { describe, expect, it } from 'vitest';
import { DEMO_IDS } from './support/simulator.js';
import { REST_ACCOUNT } from './support/gateway.js';
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

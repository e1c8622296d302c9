import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { essentialsOfFlow, essentialsOfRaw, pagesAsOf } from './support/essentials.js';
import { REST_ACCOUNT, SOAP_ACCOUNT } from './support/gateway.js';
import { SEEDED_PAGES, mutate, soapDialect } from './support/mutations.js';
import { useTestbed } from './support/testbed.js';
import { flowPath } from './support/paths.js';

const testbed = useTestbed();

/** Every seeded history with pages; the long ones cut short, as their pages repeat one shape. */
const SEEDED = new Map([...SEEDED_PAGES].map(([uniqueId, pages]) => [uniqueId, pages.slice(0, 6)]));

let served = 0;

describe('the gateway, on histories nobody wrote down', () => {
  it('answers 200 over REST and SOAP alike, with every title, value, label and photo path', async () => {
    const gateway = await testbed.gateway();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SEEDED.keys()),
        fc.gen(),
        fc.option(soapDialect, { nil: null }),
        async (seededId, g, dialect) => {
          const { pages } = mutate(g, SEEDED.get(seededId)!);
          // A fresh id each run: the gateway caches what it read.
          const uniqueId = `prop-${(served += 1)}`;
          await testbed.simulator.seedHistory(uniqueId, pages);
          await testbed.simulator.setFaults({ soapDialect: dialect });
          const flow = (account: string) => gateway.http().get(flowPath(account, uniqueId)).expect(200);
          const [rest, soap] = [await flow(REST_ACCOUNT), await flow(SOAP_ACCOUNT)];
          expect(soap.body.pages).toEqual(pagesAsOf(rest.body.pages, REST_ACCOUNT, SOAP_ACCOUNT));
          expect(rest.body.pages).toHaveLength(pages.length);
          pages.forEach((raw, index) => {
            const expected = essentialsOfRaw(raw);
            expect(essentialsOfFlow(rest.body.pages[index], expected)).toEqual(expected);
          });
        },
      ),
      { numRuns: 40 },
    );
  });
});

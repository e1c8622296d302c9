import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistories } from '../apps/interact-simulator/src/histories/demo-histories.js';
import { essentialsOfFlow, essentialsOfRaw } from './support/essentials.js';
import { REST_ACCOUNT, SOAP_ACCOUNT, demoAccounts, startGateway, type RunningGateway } from './support/gateway.js';
import { mutate, soapDialect } from './support/mutations.js';
import { startSimulator, type RunningSimulator } from './support/simulator.js';

let simulator: RunningSimulator;
let gateway: RunningGateway;

beforeAll(async () => {
  simulator = await startSimulator();
  gateway = await startGateway({ accounts: demoAccounts(simulator) });
});
afterAll(async () => {
  await gateway?.close();
  await simulator?.close();
});

const SEEDED = new Map(
  demoHistories(Date.now()).flatMap((history) =>
    history.outcome.kind === 'pages' || history.outcome.kind === 'recorded'
      ? [[history.uniqueId, history.outcome.pages.slice(0, 6) as object[]] as const]
      : [],
  ),
);

let served = 0;

describe('the gateway, on histories nobody wrote down', () => {
  it('answers 200 over REST and SOAP alike, with every title, value, label and photo path', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SEEDED.keys()),
        fc.gen(),
        fc.option(soapDialect, { nil: null }),
        async (seededId, g, dialect) => {
          const { pages } = mutate(g, SEEDED.get(seededId)!);
          // A fresh id each run: the gateway caches what it read.
          const uniqueId = `prop-${(served += 1)}`;
          await simulator.seedHistory(uniqueId, pages);
          await simulator.setFaults({ soapDialect: dialect });
          const flow = (account: string) =>
            gateway.http().get(`/v1/accounts/${account}/interactions/${uniqueId}/flow`).expect(200);
          const [rest, soap] = [await flow(REST_ACCOUNT), await flow(SOAP_ACCOUNT)];
          expect(soap.body.pages).toEqual(rest.body.pages);
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

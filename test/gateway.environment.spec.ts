import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayAccount } from '../apps/gateway/src/config/gateway.config.js';
import { pagesAsOf } from './support/essentials.js';
import { TEST_API_KEY, apiClient, demoAccounts, type RunningGateway } from './support/gateway.js';
import { flowPath } from './support/paths.js';
import { DEMO_ACCOUNTS, DEMO_IDS, SINGLE_ENVIRONMENT_ACCOUNT } from './support/simulator.js';
import { useTestbed } from './support/testbed.js';

const transports = ['rest', 'soap'] as const;
type Transport = (typeof transports)[number];

const testbed = useTestbed({ accounts: [...DEMO_ACCOUNTS, SINGLE_ENVIRONMENT_ACCOUNT] });
/** The headers of every credentialed call the simulator received, REST and SOAP, as they arrived. */
const received: IncomingHttpHeaders[] = [];

beforeAll(() => {
  // Its stats keep no credentials; its HTTP server, which serves both wires, is heard before anything else.
  (testbed.simulator.app.getHttpServer() as Server).prependListener('request', (request: IncomingMessage) => {
    if (request.headers['tenant-id'] !== undefined) received.push(request.headers);
  });
});
afterEach(() => {
  received.splice(0);
});

/** The demo account served over that transport. */
function demoAccount(transport: Transport, overrides: Partial<GatewayAccount> = {}): GatewayAccount {
  const [rest, soap] = demoAccounts(testbed.simulator, overrides);
  return transport === 'rest' ? rest : soap;
}

/** The same, configured without environmentName, as a file that leaves it out. */
function withoutEnvironment(transport: Transport, overrides: Partial<GatewayAccount> = {}): GatewayAccount {
  const account = demoAccount(transport, overrides);
  delete account.environmentName;
  return account;
}

const gateway = (accounts: GatewayAccount[]): Promise<RunningGateway> =>
  testbed.gateway({
    accounts,
    clients: [
      apiClient(
        'test',
        TEST_API_KEY,
        accounts.map(({ accountId }) => accountId),
      ),
    ],
  });

describe('Environment-Name', () => {
  it.each(transports)(
    'is not sent for an account without one over %s, which a single-environment account is served on',
    async (transport) => {
      const single = SINGLE_ENVIRONMENT_ACCOUNT;
      const singleAccount = withoutEnvironment(transport, {
        accountId: single.accountId,
        tenantId: single.tenantId,
        applicationKey: single.applicationKey,
      });
      const named = demoAccount(transport);
      const { http } = await gateway([singleAccount, named]);

      const served = await http().get(flowPath(single.accountId, DEMO_IDS.claim)).expect(200);
      const demo = await http().get(flowPath(named.accountId, DEMO_IDS.claim)).expect(200);
      expect(served.body).toMatchObject({ accountId: single.accountId, interactionId: DEMO_IDS.claim });
      expect(served.body.pages).toEqual(pagesAsOf(demo.body.pages, named.accountId, single.accountId));

      const byTenant = new Map(received.map((headers) => [headers['tenant-id'], headers]));
      expect(received).toHaveLength(2);
      expect(byTenant.get(single.tenantId)).not.toHaveProperty('environment-name');
      expect(byTenant.get(named.tenantId)).toMatchObject({ 'environment-name': named.environmentName });
    },
  );

  it.each(transports)(
    'left out for an account with environments over %s gets upstream-unauthorized, like any rejected credential',
    async (transport) => {
      const account = withoutEnvironment(transport);
      const { http } = await gateway([account]);
      const response = await http().get(flowPath(account.accountId, DEMO_IDS.claim)).expect(502);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ type: '/problems/upstream-unauthorized', status: 502 });
      expect(received).toHaveLength(1);
      expect(received[0]).not.toHaveProperty('environment-name');
    },
  );
});

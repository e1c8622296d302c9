import * as soap from 'soap';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DEMO_ACCOUNTS,
  DEMO_IDS,
  SINGLE_ENVIRONMENT_ACCOUNT,
  credentialHeaders,
  startSimulator,
  type RunningSimulator,
} from './support/simulator.js';

const [accountA, accountB] = DEMO_ACCOUNTS;
type SoapError = Error & {
  root?: { Envelope: { Body: { Fault: { faultcode: string; faultstring: string } } } };
  response?: { status: number };
  body?: string;
};

let simulator: RunningSimulator;
let client: soap.Client;

const byId = (uniqueId: string, extra: Record<string, unknown> = {}, account = accountA) =>
  client.GetInteractionFullFlowByUUIDAsync({ uniqueId, ...extra }, {}, credentialHeaders(account));
const byAttribute = (callerAttribute: string, extra: Record<string, unknown> = {}, account = accountA) =>
  client.GetInteractionFullFlowByCallerAttributeAsync({ callerAttribute, ...extra }, {}, credentialHeaders(account));
const failure = async (call: Promise<unknown>) => {
  try {
    await call;
  } catch (error) {
    return error as SoapError;
  }
  throw new Error('expected the call to fail');
};

beforeAll(async () => {
  simulator = await startSimulator({ accounts: [...DEMO_ACCOUNTS, SINGLE_ENVIRONMENT_ACCOUNT] });
  // Built only from the served WSDL (which imports the served XSD), as any SOAP consumer would.
  client = await soap.createClientAsync(simulator.wsdlUrl);
});
afterAll(() => simulator.close());
beforeEach(() => simulator.reset());

describe('simulator WSDL', () => {
  it('publishes both operations on the endpoint of the host that was asked', () => {
    const description = client.describe() as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.keys(description.InteractionDataService.InteractionDataSoap11)).toEqual([
      'GetInteractionFullFlowByUUID',
      'GetInteractionFullFlowByCallerAttribute',
    ]);
    const wsdl = client.wsdl as unknown as {
      services: Record<string, { ports: Record<string, { location: string }> }>;
    };
    expect(wsdl.services.InteractionDataService.ports.InteractionDataSoap11.location).toBe(
      `${simulator.url}/interact/version/2/interactiondata/soap`,
    );
  });

  it('serves the WSDL with the target namespace and the XSD it imports', async () => {
    const wsdl = await (await fetch(simulator.wsdlUrl)).text();
    expect(wsdl).toContain('targetNamespace="http://com/jacada/interact/interactiondata/soap"');
    // XML Schema forbids a schema importing its own target namespace; stricter toolkits refuse it.
    const wrapper = /<xs:schema\b([^>]*)>\s*(?:<!--[\s\S]*?-->\s*)*<xs:import namespace="([^"]+)"/.exec(wsdl);
    expect(wrapper?.[2]).toBe('http://com/jacada/interact/interactiondata/soap');
    expect(wrapper?.[1]).not.toContain(`targetNamespace="${wrapper?.[2]}"`);
    const xsd = await fetch(simulator.wsdlUrl.replace('.wsdl', '.xsd'));
    expect(xsd.status).toBe(200);
    expect(await xsd.text()).toContain('name="GetInteractionFullFlowByCallerAttributeResponse"');
  });
});

describe('simulator SOAP full flow', () => {
  it('answers a found history with repeated page elements in the same page model as REST', async () => {
    const [result, raw] = await byId(DEMO_IDS.claim);
    expect(raw).toContain('<GetInteractionFullFlowByUUIDResponse');
    expect(result.page.length).toBeGreaterThanOrEqual(4);
    expect(result.page[0].pageNavigation.navigationTitle).toBe('Welcome');
    const rest = await fetch(
      `${simulator.url}/interact/agent/version/2/account/${accountA.accountId}/interactiondata/${DEMO_IDS.claim}/fullFlow`,
      {
        headers: credentialHeaders(accountA),
      },
    );
    const restPages = (await rest.json()) as Array<{
      timestamp: number;
      pageNavigation: { pageReferenceName: string };
    }>;
    expect(
      result.page.map(
        (page: { pageNavigation: { pageReferenceName: string } }) => page.pageNavigation.pageReferenceName,
      ),
    ).toEqual(restPages.map((page) => page.pageNavigation.pageReferenceName));
    expect(raw).toContain(`<timestamp>${restPages[0].timestamp}</timestamp>`);
    expect(raw).toContain('<img_path>/mnt/sdcard/home/downloads/i1152998579.png</img_path>');
  });

  it('answers by caller attribute with the caller-attribute response element', async () => {
    const [result, raw] = await byAttribute(DEMO_IDS.callbackAttribute);
    expect(raw).toContain('<GetInteractionFullFlowByCallerAttributeResponse');
    expect(result.page[0].pageNavigation.navigationTitle).toBe('Call me back');
    const [claim] = await byAttribute(DEMO_IDS.claimAttribute);
    expect(claim.page).toHaveLength((await byId(DEMO_IDS.claim))[0].page.length);
  });

  it('answers not-found with a success body of GetInteractionUniqueIdResponse, not a fault', async () => {
    const error = await failure(byId(DEMO_IDS.notFound));
    // The soap client cannot map the foreign element to the called operation and says so.
    expect(error.response?.status).toBe(200);
    expect(error.body).toContain(
      '<ns2:GetInteractionUniqueIdResponse xmlns:ns2="http://com/jacada/interact/agent/soap">',
    );
    // Uniphore's SOAP table words it "for attribute" for a lookup by UUID too.
    expect(error.body).toContain(
      `<ns2:uniqueId>history for attribute ${DEMO_IDS.notFound} was not found</ns2:uniqueId>`,
    );
    const byAttr = await failure(byAttribute('nobody'));
    expect(byAttr.body).toContain('<ns2:uniqueId>history for attribute nobody was not found</ns2:uniqueId>');
  });

  it('escapes the looked-up value inside the not-found sentence', async () => {
    const error = await failure(byAttribute('<a&b>'));
    expect(error.body).toContain('history for attribute &#60;a&#38;b&#62; was not found');
  });

  it('answers a found-but-empty history with the response element holding EMPTY', async () => {
    const [result, raw] = await byId(DEMO_IDS.empty);
    expect(result).toBe('EMPTY');
    expect(raw).toMatch(/<GetInteractionFullFlowByUUIDResponse[^>]*>EMPTY<\/GetInteractionFullFlowByUUIDResponse>/);
  });

  it('answers an internal error with a SOAP-ENV:Server fault', async () => {
    const error = await failure(byId(DEMO_IDS.internalError));
    expect(error.response?.status).toBe(500);
    expect(error.root?.Envelope.Body.Fault.faultcode).toBe('SOAP-ENV:Server');
  });

  it('finds an eight-month-old history only with widerSearch', async () => {
    await expect(failure(byId(DEMO_IDS.old))).resolves.toHaveProperty('body', expect.stringContaining('was not found'));
    await expect(failure(byId(DEMO_IDS.old, { widerSearch: false }))).resolves.toHaveProperty(
      'body',
      expect.stringContaining('was not found'),
    );
    const [result] = await byId(DEMO_IDS.old, { widerSearch: true });
    expect(result.page).toHaveLength(2);
  });

  it('serves big-5000 with 5,000 pages', async () => {
    const [result] = await byId(DEMO_IDS.big);
    expect(result.page).toHaveLength(5000);
  });

  it('faults with the non-QName code 0x7000000 when credentials are missing or wrong', async () => {
    const wrongTenant = { ...credentialHeaders(accountB), 'Tenant-Id': accountA.tenantId };
    for (const headers of [{}, { ...credentialHeaders(accountA), 'Application-Key': 'wrong' }, wrongTenant]) {
      const error = await failure(client.GetInteractionFullFlowByUUIDAsync({ uniqueId: DEMO_IDS.claim }, {}, headers));
      expect(error.root?.Envelope.Body.Fault).toEqual({
        faultcode: '0x7000000',
        faultstring: 'Request is unauthorized, missing or wrong credentials',
      });
    }
  });

  it('serves an account with a single environment without Environment-Name, and faults when one is sent', async () => {
    const single = SINGLE_ENVIRONMENT_ACCOUNT;
    expect(credentialHeaders(single)).not.toHaveProperty('Environment-Name');
    const [a] = await byId(DEMO_IDS.claim, {}, accountA);
    const [result] = await byId(DEMO_IDS.claim, {}, single);
    expect(result).toEqual(a);
    const headers = { ...credentialHeaders(single), 'Environment-Name': 'PROD' };
    const error = await failure(client.GetInteractionFullFlowByUUIDAsync({ uniqueId: DEMO_IDS.claim }, {}, headers));
    expect(error.root?.Envelope.Body.Fault.faultcode).toBe('0x7000000');
  });

  it('faults when an account with environments sends no Environment-Name', async () => {
    const headers = { 'Tenant-Id': accountA.tenantId, 'Application-Key': accountA.applicationKey };
    const error = await failure(client.GetInteractionFullFlowByUUIDAsync({ uniqueId: DEMO_IDS.claim }, {}, headers));
    expect(error.root?.Envelope.Body.Fault.faultcode).toBe('0x7000000');
  });

  it('serves both demo accounts with their own credentials', async () => {
    const [a] = await byId(DEMO_IDS.claim, {}, accountA);
    const [b] = await byId(DEMO_IDS.claim, {}, accountB);
    expect(b).toEqual(a);
  });

  it('counts SOAP requests and injects SOAP faults separately from REST', async () => {
    await simulator.setFaults({ soap: { errorRate: 1 } });
    const error = await failure(byId(DEMO_IDS.claim));
    expect(error.root?.Envelope.Body.Fault.faultcode).toBe('SOAP-ENV:Server');
    const stats = await simulator.stats();
    expect(stats.soap).toMatchObject({ requests: 1, injectedErrors: 1 });
    expect(stats.rest.requests).toBe(0);
  });
});

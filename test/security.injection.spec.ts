import type { LookupKind } from '@app/interact';
import { SoapFlowTransport, UpstreamFailedError, readUpstreamAnswer, type UpstreamAccount } from '@app/interact-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOAP_ACCOUNT, TEST_API_KEY, apiClient } from './support/gateway.js';
import { DEMO_ACCOUNTS, DEMO_IDS } from './support/simulator.js';
import { useTestbed } from './support/testbed.js';
import { flowPath } from './support/paths.js';

const bed = useTestbed();

/**
 * Values that would be markup, entities or CDATA if written into the envelope as they are; each
 * must reach Interact as exactly these characters. The soap package passes any value that begins
 * with "<![CDATA[" and ends with "]]>" unescaped, and escapes the rest.
 */
const HOSTILE_VALUES: Array<[string, string]> = [
  ['the report: markup between empty CDATA sections', '<![CDATA[]]><x1<![CDATA[]]>'],
  ['the report: a character reference between empty CDATA sections', '<![CDATA[]]>&#x30;40100713<![CDATA[]]>'],
  ['a whole value in CDATA', `<![CDATA[${DEMO_IDS.claim}]]>`],
  ['an empty CDATA section', '<![CDATA[]]>'],
  ['CDATA opened at the start only', '<![CDATA[abc'],
  ['CDATA in the middle', 'a<![CDATA[b]]>c'],
  ['CDATA closed at the end only', 'abc]]>'],
  ['a CDATA end alone', ']]>'],
  ['nested CDATA', '<![CDATA[<![CDATA[x]]>]]>'],
  ['a hexadecimal character reference', '&#x30;40100713'],
  ['a decimal character reference', '&#48;40100713'],
  ['an escaped ampersand', '&amp;'],
  ['an escaped less-than', '&lt;'],
  ['an escaped greater-than', '&gt;'],
  ['escaped quotes', '&quot;&apos;'],
  ['a double-escaped ampersand', '&amp;amp;'],
  ['an undeclared entity', '&e;'],
  ['a bare ampersand', 'a&b'],
  ['an element', '<x1>'],
  ['a closing tag', '</uniqueId>'],
  ['an element closing the field and opening another', `</uniqueId><uniqueId>${DEMO_IDS.claim}`],
  ['a processing instruction', '<?xml version="1.0"?>'],
  ['a comment', '<!-- c -->x'],
  ['a DOCTYPE with an internal entity', '<!DOCTYPE x [<!ENTITY e "v">]>&e;'],
  ['quotes', `a"b'c`],
  ['line breaks and a tab inside', 'a\r\nb\tc\rd'],
];

const SOAP_DEMO = DEMO_ACCOUNTS[1];

describe('SOAP transport, validation bypassed', () => {
  let transport: SoapFlowTransport;

  beforeAll(() => {
    const account: UpstreamAccount = {
      accountId: SOAP_DEMO.accountId,
      baseUrl: bed.simulator.url,
      transport: 'soap',
      apiVersion: 2,
      tenantId: SOAP_DEMO.tenantId,
      applicationKey: SOAP_DEMO.applicationKey,
      environmentName: SOAP_DEMO.environmentName,
      timeoutMs: 5_000,
      maxResponseBytes: 1024 * 1024,
      wsdl: bed.simulator.wsdlUrl,
    };
    transport = new SoapFlowTransport(account);
  });
  afterAll(() => transport?.close());

  const ask = async (kind: LookupKind, value: string, widerSearch = false) => {
    const pages: unknown = await transport
      .fetchAnswer({ kind, value, widerSearch })
      .then((answer) => readUpstreamAnswer(answer).pages)
      .catch((error: unknown) => error);
    return { pages, stats: await bed.simulator.stats() };
  };

  it.each(HOSTILE_VALUES)('delivers %s as text, exactly: %j', async (_case, value) => {
    for (const kind of ['interactionId', 'callerAttribute'] as const) {
      for (const widerSearch of [false, true]) {
        const { pages, stats } = await ask(kind, value, widerSearch);
        expect(stats.soap.lookup).toEqual({ kind, value, widerSearch });
        // Read as text the value names no history: Interact's not-found, never a fault or a history.
        expect(pages).toMatchObject({ kind: 'not-found' });
      }
    }
  });

  it('still finds a history by a plain id, one call per lookup', async () => {
    const { pages, stats } = await ask('interactionId', DEMO_IDS.claim);
    expect(Array.isArray(pages) && pages.length).toBeGreaterThan(0);
    expect(stats.soap.lookup).toEqual({ kind: 'interactionId', value: DEMO_IDS.claim, widerSearch: false });
    expect(stats.soap.requests).toBe(1);
  });

  it('refuses a character XML cannot carry at all, sending nothing', async () => {
    for (const value of ['a\u0001b', 'a\ufffeb', 'a\ud800b']) {
      const { pages, stats } = await ask('interactionId', value);
      expect(pages).toBeInstanceOf(UpstreamFailedError);
      expect(stats.soap.requests).toBe(0);
    }
  });
});

describe('gateway validation of ids and caller attributes', () => {
  const onRoute = (route: 'interactions' | 'caller-attributes', value: string) =>
    `/v1/accounts/${SOAP_ACCOUNT}/${route}/${encodeURIComponent(value)}/flow`;
  const refused = HOSTILE_VALUES.filter(([, value]) => /[<>&]/.test(value));

  it('has the markup cases to refuse', () => {
    expect(refused.length).toBeGreaterThanOrEqual(20);
  });

  it.each(refused)('refuses %s with 400, asking nothing upstream', async (_case, value) => {
    const gateway = await bed.gateway();
    for (const [route, field] of [
      ['interactions', 'interactionId'],
      ['caller-attributes', 'callerAttribute'],
    ] as const) {
      const response = await gateway.http().get(onRoute(route, value));
      expect(response.status).toBe(400);
      expect(response.body.type).toMatch(/validation-failed$/);
      expect(response.body.errors).toContainEqual({
        field,
        message: `${field} must not contain "<", ">" or "&"`,
      });
    }
    expect((await bed.simulator.stats()).total).toBe(0);
  });

  it('lets no burst of them open the account circuit for another client', async () => {
    const attacker = 'attacker-key';
    const gateway = await bed.gateway({
      clients: [
        apiClient('attacker', attacker, [SOAP_ACCOUNT], 1_000),
        apiClient('test', TEST_API_KEY, [SOAP_ACCOUNT]),
      ],
    });
    const burst = await Promise.all(
      Array.from({ length: 5 }, () => refused.map(([, value]) => value))
        .flat()
        .map((value) => gateway.http().set('Authorization', `Bearer ${attacker}`).get(onRoute('interactions', value))),
    );
    expect(burst.map((response) => response.status)).toEqual(burst.map(() => 400));
    expect((await bed.simulator.stats()).total).toBe(0);
    const others = await Promise.all(
      [DEMO_IDS.claim, '000000000', DEMO_IDS.claim].map((id) => gateway.http().get(flowPath(SOAP_ACCOUNT, id))),
    );
    expect(others.map((response) => response.status)).toEqual([200, 404, 200]);
    const ready = await gateway.admin().get('/health/ready');
    expect(ready.body.details.upstream.circuits[SOAP_ACCOUNT].state).toBe('closed');
  });
});

import { describe, expect, it } from 'vitest';
import type { SoapDialect } from '../apps/interact-simulator/src/soap/soap-dialect.js';
import { essentialsOfFlow, essentialsOfRaw, pagesAsOf } from './support/essentials.js';
import { CapturingLogger, REST_ACCOUNT, SOAP_ACCOUNT, type RunningGateway } from './support/gateway.js';
import { metricValue } from './support/metrics.js';
import { SEEDED_PAGES } from './support/mutations.js';
import { DEMO_IDS } from './support/simulator.js';
import { useTestbed } from './support/testbed.js';
import { flowPath } from './support/paths.js';

const testbed = useTestbed();

const DIALECTS: [string, SoapDialect | null][] = [
  ['the soap package’s', null],
  ['ns2 prefixes, empty elements left out, reordered', { prefix: 'ns2', empty: 'omit', reorder: true, cdata: false }],
  ['tns prefixes, xsi:nil, CDATA', { prefix: 'tns', empty: 'nil', reorder: false, cdata: true }],
  [
    'a default namespace, empty elements, reordered CDATA',
    { prefix: null, empty: 'element', reorder: true, cdata: true },
  ],
];

// Each request goes upstream: the dialect changes between requests for the same history.
const flow = (gateway: RunningGateway, account: string, uniqueId: string) =>
  gateway
    .http()
    .get(flowPath(account, uniqueId, uniqueId === DEMO_IDS.old ? '?widerSearch=true' : ''))
    .set('Cache-Control', 'no-cache');

describe.each(DIALECTS)('SOAP in %s dialect', (_name, dialect) => {
  it.each([...SEEDED_PAGES])(
    'reads %s as REST reads it, losing nothing the customer entered',
    async (uniqueId, pages) => {
      const gateway = await testbed.gateway();
      await testbed.simulator.setFaults({ soapDialect: dialect });
      const rest = await flow(gateway, REST_ACCOUNT, uniqueId).expect(200);
      const soap = await flow(gateway, SOAP_ACCOUNT, uniqueId).expect(200);
      expect(soap.body.pages).toEqual(pagesAsOf(rest.body.pages, REST_ACCOUNT, SOAP_ACCOUNT));
      expect(rest.body.pages).toHaveLength(pages.length);
      pages.forEach((raw, index) => {
        const expected = essentialsOfRaw(raw);
        expect(essentialsOfFlow(soap.body.pages[index], expected)).toEqual(expected);
      });
    },
  );
});

describe('a history in the recorded shape', () => {
  it('comes from REST with a byte order mark and Interact’s own content type', async () => {
    const response = await fetch(
      `${testbed.simulator.url}/interact/agent/version/2/account/${REST_ACCOUNT}/interactiondata/${DEMO_IDS.recorded}/fullFlow`,
      {
        headers: {
          'Tenant-Id': 'demo-tenant-12345678',
          'Application-Key': 'demo-app-key-12345678',
          'Environment-Name': 'PROD',
        },
      },
    );
    expect(response.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    expect([...new Uint8Array(await response.arrayBuffer()).subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  });

  it.each([REST_ACCOUNT, SOAP_ACCOUNT])('keeps, on account %s, what the documented model lacks', async (account) => {
    const { body } = await flow(await testbed.gateway(), account, DEMO_IDS.recorded).expect(200);
    const [accounts, details, photos] = body.pages;
    expect(accounts).toMatchObject({ title: 'Choose an account', navigatedAt: null, header: null, footer: null });
    expect(accounts.sections).toEqual([
      {
        id: expect.stringMatching(/-24d1$/),
        label: 'Your accounts',
        referenceName: 'accounts',
        header: 'Pick the account the claim is for',
        footer: null,
        answerIds: [expect.stringMatching(/-24d1\..*-24e9:0$/), expect.stringMatching(/-24d1\..*-24e9:1$/)],
      },
    ]);
    expect(accounts.answers.map((answer: object) => answer)).toEqual([
      expect.objectContaining({ kind: 'other', widget: 'collectionItem', label: 'Car policy 7781', value: '0' }),
      expect.objectContaining({ kind: 'other', widget: 'collectionItem', label: 'Home policy 1204', value: '0' }),
    ]);
    expect(accounts.answers[0].choiceId).toMatch(/^1428325870376-.*-24e9:0$/);
    expect(details).toMatchObject({ header: null, footer: 'Step 2 of 3' });
    expect(details.sections[0].footer).toBe('We only call about this claim.');
    expect(details.answers).toEqual([
      expect.objectContaining({ kind: 'text', label: null, value: 'Dana Levi', referenceName: 'fullName' }),
      expect.objectContaining({ kind: 'option', label: 'Best time to call', value: '1', selected: true }),
    ]);
    expect(photos.photos).toEqual([
      {
        answerId: photos.answers[0].id,
        path: '/mnt/sdcard/home/downloads/i1152998579',
        id: 'SYcQ_O8TcQlyj5olXFEREW',
        href: `/v1/accounts/${account}/interactions/${DEMO_IDS.recorded}/photos/SYcQ_O8TcQlyj5olXFEREW`,
      },
    ]);
  });
});

describe('drift', () => {
  it('counts and logs once a field nobody has published, while callers get the history', async () => {
    const logger = new CapturingLogger();
    const watched = await testbed.gateway({}, {}, { logger });
    for (const account of [REST_ACCOUNT, SOAP_ACCOUNT, REST_ACCOUNT]) {
      const { body } = await watched
        .http()
        .get(flowPath(account, DEMO_IDS.recordedSparse))
        .set('Cache-Control', 'no-cache')
        .expect(200);
      expect(body.pages[1].answers).toEqual([
        expect.objectContaining({ kind: 'other', widget: 'starRating', label: 'Rate us', value: '5' }),
      ]);
    }
    const field = 'page.pageContent.contentSections.sectionChoices.starRating';
    const scrape = (await watched.admin().get('/metrics').expect(200)).text;
    const count = (account: string, transport: string) =>
      metricValue(scrape, 'interact_payload_unknown_total', { account, transport, field });
    expect(count(REST_ACCOUNT, 'rest')).toBe(2);
    expect(count(SOAP_ACCOUNT, 'soap')).toBe(1);
    // Known fields of recorded histories (collectionItem, selectionType, pageMenu, …) are no drift.
    const fields = [...scrape.matchAll(/^interact_payload_unknown_total\{[^}]*field="([^"]*)"/gm)].map((m) => m[1]);
    expect(new Set(fields)).toEqual(new Set([field]));
    const warnings = logger.lines.filter((line) => line.includes('starRating'));
    expect(warnings).toHaveLength(2);
    expect(warnings.every((line) => line.startsWith('warn '))).toBe(true);
  });

  it('does not count the fields of histories in the recorded shape as drift', async () => {
    const watched = await testbed.gateway();
    for (const account of [REST_ACCOUNT, SOAP_ACCOUNT])
      await watched.http().get(flowPath(account, DEMO_IDS.recorded)).expect(200);
    const scrape = (await watched.admin().get('/metrics').expect(200)).text;
    expect(scrape).not.toMatch(/^interact_payload_unknown_total\{/m);
  });
});

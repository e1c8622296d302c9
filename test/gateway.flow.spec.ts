import { beforeEach, describe, expect, it } from 'vitest';
import { pagesAsOf } from './support/essentials.js';
import { DEMO_IDS } from './support/simulator.js';
import { REST_ACCOUNT, SOAP_ACCOUNT, type RunningGateway } from './support/gateway.js';
import { flowPath } from './support/paths.js';
import { useTestbed } from './support/testbed.js';

const testbed = useTestbed();
let gateway: RunningGateway;
beforeEach(async () => {
  gateway = await testbed.gateway();
});

const interactionFlow = (account: string, id: string, query = '') => gateway.http().get(flowPath(account, id, query));
const attributeFlow = (account: string, value: string, query = '') =>
  gateway.http().get(flowPath(account, { callerAttribute: value }, query));

describe.each([
  ['REST', REST_ACCOUNT],
  ['SOAP', SOAP_ACCOUNT],
])('flow over %s', (_transport, account) => {
  it('normalizes every page of interaction 040100713', async () => {
    const response = await interactionFlow(account, DEMO_IDS.claim).expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const flow = response.body;
    expect(flow).toMatchObject({
      accountId: account,
      interactionId: DEMO_IDS.claim,
      lookup: { by: 'interactionId', value: DEMO_IDS.claim, widerSearch: false },
    });
    expect(flow.pages.map((page: { title: string }) => page.title)).toEqual([
      'Welcome',
      'Injuries',
      'What happened',
      'Photos',
    ]);
    const [welcome, injuries, description, photos] = flow.pages;
    expect(welcome).toMatchObject({
      index: 0,
      referenceName: 'welcome',
      language: 'en-US',
      header: 'How can we help?',
      photos: [],
    });
    expect(welcome.navigatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(injuries.navigatedAt) - Date.parse(welcome.navigatedAt)).toBe(45_000);
    expect(welcome.answers).toEqual([
      {
        id: '1.1',
        section: 'Reason for contact',
        label: 'Report damage',
        kind: 'option',
        value: '1',
        selected: true,
        choiceId: '1',
        referenceName: null,
        widget: 'choiceOption',
      },
      {
        id: '1.2',
        section: 'Reason for contact',
        label: 'Track a claim',
        kind: 'option',
        value: '0',
        selected: false,
        choiceId: '2',
        referenceName: null,
        widget: 'choiceOption',
      },
      {
        id: '1.3',
        section: 'Reason for contact',
        label: 'Something else',
        kind: 'option',
        value: '0',
        selected: false,
        choiceId: '3',
        referenceName: null,
        widget: 'choiceOption',
      },
    ]);
    // Markup stripped, entities decoded, white space folded.
    expect(injuries.header).toBe("Safety first Was anyone hurt? Tell us & we'll help.");
    expect(injuries.answers).toEqual([
      {
        id: '1.1',
        section: 'Injuries',
        label: 'Was anyone injured?',
        kind: 'switch',
        value: 'false',
        selected: false,
        choiceId: '1',
        referenceName: null,
        widget: 'choiceSwitch',
      },
      {
        id: '2.1',
        section: 'Vehicle',
        label: 'Car',
        kind: 'list',
        value: '1',
        selected: true,
        choiceId: '1',
        referenceName: null,
        widget: 'selectFromList',
      },
      {
        id: '2.2',
        section: 'Vehicle',
        label: 'Motorbike',
        kind: 'list',
        value: '0',
        selected: false,
        choiceId: '2',
        referenceName: null,
        widget: 'selectFromList',
      },
      {
        id: '2.3',
        section: 'Vehicle',
        label: 'Van',
        kind: 'list',
        value: '0',
        selected: false,
        choiceId: '3',
        referenceName: null,
        widget: 'selectFromList',
      },
    ]);
    expect(description.answers).toEqual([
      {
        id: '1.1',
        section: 'Description',
        label: 'What happened?',
        kind: 'text',
        value: 'Rear-ended at a red light & pushed <2 m> into the junction; "no" injuries',
        selected: null,
        choiceId: '1',
        referenceName: null,
        widget: 'textInput',
      },
    ]);
    expect(photos.answers).toEqual([
      {
        id: '1.1',
        section: 'Damage photos',
        label: 'Photos of the damage',
        kind: 'photos',
        value: null,
        selected: null,
        choiceId: '1',
        referenceName: null,
        widget: 'uploadImageList',
      },
      {
        id: '1.2',
        section: 'Damage photos',
        label: 'Submit',
        kind: 'continue',
        value: '1',
        selected: true,
        choiceId: '2',
        referenceName: null,
        widget: 'clickToContinue',
      },
    ]);
    const href = (id: string) => `/v1/accounts/${account}/interactions/${DEMO_IDS.claim}/photos/${id}`;
    expect(photos.photos).toEqual([
      {
        answerId: '1.1',
        path: '/mnt/sdcard/home/downloads/i1152998579.png',
        id: 'cgNfCv18QzqrmozmD6ctD4',
        href: href('cgNfCv18QzqrmozmD6ctD4'),
      },
      {
        answerId: '1.1',
        path: '/mnt/sdcard/home/downloads/i1152998580 (1).png',
        id: 'N0VzC11zb28Vh59xhKB0sC',
        href: href('N0VzC11zb28Vh59xhKB0sC'),
      },
    ]);
    expect(injuries.footer).toBeNull();
    expect(injuries.sections).toEqual([
      { id: '1', label: 'Injuries', referenceName: null, header: null, footer: null, answerIds: ['1.1'] },
      { id: '2', label: 'Vehicle', referenceName: null, header: null, footer: null, answerIds: ['2.1', '2.2', '2.3'] },
    ]);
  });

  it('finds a flow by caller attribute, without claiming an interaction id', async () => {
    const byAttribute = await attributeFlow(account, DEMO_IDS.claimAttribute).expect(200);
    const byId = await interactionFlow(account, DEMO_IDS.claim).expect(200);
    expect(byAttribute.body.interactionId).toBeNull();
    expect(byAttribute.body.lookup).toEqual({
      by: 'callerAttribute',
      value: DEMO_IDS.claimAttribute,
      widerSearch: false,
    });
    // The same pages, but no photo links: the photo method needs the unique id such a flow lacks.
    const unlinked = byId.body.pages.map((page: { photos: object[] }) => ({
      ...page,
      photos: page.photos.map((photo) => ({ ...photo, href: null })),
    }));
    expect(byId.body.pages.flatMap((page: { photos: object[] }) => page.photos)).toHaveLength(2);
    expect(byAttribute.body.pages).toEqual(unlinked);
    const second = await attributeFlow(account, DEMO_IDS.callbackAttribute).expect(200);
    expect(second.body.pages[0]).toMatchObject({ title: 'Call me back', header: 'We’ll call you' });
  });

  it('answers a found-but-empty history with 200 and no pages', async () => {
    const response = await interactionFlow(account, DEMO_IDS.empty).expect(200);
    expect(response.body.pages).toEqual([]);
  });

  it('passes widerSearch upstream: an eight-month-old history needs it', async () => {
    await interactionFlow(account, DEMO_IDS.old).expect(404);
    await interactionFlow(account, DEMO_IDS.old, '?widerSearch=false').expect(404);
    const wider = await interactionFlow(account, DEMO_IDS.old, '?widerSearch=true').expect(200);
    expect(wider.body.lookup.widerSearch).toBe(true);
    expect(wider.body.pages).toHaveLength(2);
  });

  it('serves big-5000 whole', async () => {
    const response = await interactionFlow(account, DEMO_IDS.big).expect(200);
    expect(response.body.pages).toHaveLength(5000);
    expect(response.body.pages[4999]).toMatchObject({ index: 4999, title: 'Step 5000' });
  });

  it('echoes a plain X-Request-Id and replaces one that is not', async () => {
    const kept = await interactionFlow(account, DEMO_IDS.claim).set('X-Request-Id', 'desk-42.a_b:c').expect(200);
    expect(kept.headers['x-request-id']).toBe('desk-42.a_b:c');
    const replaced = await interactionFlow(account, DEMO_IDS.claim).set('X-Request-Id', 'bad id <script>').expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('REST and SOAP equivalence', () => {
  const seeded: Array<['interactions' | 'caller-attributes', string, string]> = [
    ['interactions', DEMO_IDS.claim, ''],
    ['interactions', DEMO_IDS.callback, ''],
    ['interactions', DEMO_IDS.empty, ''],
    ['interactions', DEMO_IDS.old, '?widerSearch=true'],
    ['interactions', DEMO_IDS.medium, ''],
    ['interactions', DEMO_IDS.big, ''],
    ['caller-attributes', DEMO_IDS.claimAttribute, ''],
    ['caller-attributes', DEMO_IDS.callbackAttribute, '?widerSearch=true'],
  ];

  it.each(seeded)(
    'returns the same JSON for %s/%s%s on both accounts, but for accountId',
    async (collection, id, query) => {
      const lookup = collection === 'interactions' ? id : { callerAttribute: id };
      const path = (account: string) => flowPath(account, lookup, query);
      const rest = await gateway.http().get(path(REST_ACCOUNT)).expect(200);
      const soap = await gateway.http().get(path(SOAP_ACCOUNT)).expect(200);
      expect({
        ...soap.body,
        accountId: REST_ACCOUNT,
        pages: pagesAsOf(soap.body.pages, SOAP_ACCOUNT, REST_ACCOUNT),
      }).toEqual(rest.body);
    },
  );
});

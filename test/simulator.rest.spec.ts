import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { InteractPage } from '@app/interact';
import {
  DEMO_ACCOUNTS,
  DEMO_IDS,
  SINGLE_ENVIRONMENT_ACCOUNT,
  credentialHeaders,
  startSimulator,
  type RunningSimulator,
} from './support/simulator.js';

const [accountA, accountB] = DEMO_ACCOUNTS;
const base = (accountId: string) => `/interact/agent/version/2/account/${accountId}/interactiondata`;
const byId = (id: string, accountId = accountA.accountId) => `${base(accountId)}/${encodeURIComponent(id)}/fullFlow`;
const byAttribute = (value: string, accountId = accountA.accountId) =>
  `${base(accountId)}/${encodeURIComponent(value)}/fullFlow/byCallerAttribute`;

let simulator: RunningSimulator;
const http = () => request(simulator.app.getHttpServer());
const get = (path: string, account = accountA) => http().get(path).set(credentialHeaders(account));

beforeAll(async () => {
  simulator = await startSimulator({ accounts: [...DEMO_ACCOUNTS, SINGLE_ENVIRONMENT_ACCOUNT] });
});
afterAll(() => simulator.close());
beforeEach(() => simulator.reset());

describe('simulator REST full flow', () => {
  it('answers a found history as a JSON array of pages in Interact page model, in navigation order', async () => {
    const response = await get(byId(DEMO_IDS.claim)).expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const pages = response.body as InteractPage[];
    expect(pages.length).toBeGreaterThanOrEqual(4);
    const timestamps = pages.map((page) => page.timestamp);
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
    expect(pages[0]).toMatchObject({
      language: 'en-US',
      pageNavigation: {
        navigationTitle: 'Welcome',
        pageReferenceName: 'welcome',
        navigationLeft: { buttonLabel: 'Back', buttonVisible: false },
        navigationRight: { buttonLabel: 'Next', buttonAction: 'next' },
      },
      pageContent: { contentHeader: { id: 1, innerHtml: '<h1>How can we help?</h1>' } },
    });
    const choices = pages.flatMap((page) => page.pageContent.contentSections.flatMap((s) => s.sectionChoices));
    expect(choices).toContainEqual({
      id: 1,
      choiceLabel: 'Report damage',
      choiceValue: '1',
      choiceOption: { multiSelect: false },
    });
    expect(choices).toContainEqual({
      id: 2,
      choiceLabel: 'Track a claim',
      choiceValue: '0',
      choiceOption: { multiSelect: false },
    });
    expect(choices).toContainEqual(
      expect.objectContaining({
        choiceLabel: 'Was anyone injured?',
        choiceValue: 'false',
        choiceSwitch: expect.any(Object),
      }),
    );
    expect(choices).toContainEqual(
      expect.objectContaining({ choiceLabel: 'Car', choiceValue: '1', selectFromList: expect.any(Object) }),
    );
    expect(choices).toContainEqual(
      expect.objectContaining({ textInput: expect.any(Object), choiceValue: expect.stringContaining('red light') }),
    );
    const upload = choices.find((choice) => 'uploadImageList' in choice);
    expect(upload && 'uploadImageList' in upload && upload.uploadImageList.images).toEqual([
      { img_path: '/mnt/sdcard/home/downloads/i1152998579.png' },
      { img_path: '/mnt/sdcard/home/downloads/i1152998580 (1).png' },
    ]);
  });

  it('gives every choice exactly one widget key', async () => {
    const pages = (await get(byId(DEMO_IDS.claim)).expect(200)).body as InteractPage[];
    const widgetKeys = [
      'clickToContinue',
      'choiceOption',
      'choiceSwitch',
      'selectFromList',
      'textInput',
      'uploadImageList',
    ];
    for (const choice of pages.flatMap((p) => p.pageContent.contentSections.flatMap((s) => s.sectionChoices))) {
      expect(Object.keys(choice).filter((key) => widgetKeys.includes(key))).toHaveLength(1);
    }
  });

  it('finds the same history by caller attribute', async () => {
    const direct = await get(byId(DEMO_IDS.claim)).expect(200);
    const viaAttribute = await get(byAttribute(DEMO_IDS.claimAttribute)).expect(200);
    expect(viaAttribute.body).toEqual(direct.body);
    const second = await get(byAttribute(DEMO_IDS.callbackAttribute)).expect(200);
    expect(second.body).toEqual((await get(byId(DEMO_IDS.callback)).expect(200)).body);
    expect(second.body).not.toEqual(direct.body);
  });

  it('holds the same histories for both demo accounts, each with its own credentials', async () => {
    const a = await get(byId(DEMO_IDS.claim, accountA.accountId), accountA).expect(200);
    const b = await get(byId(DEMO_IDS.claim, accountB.accountId), accountB).expect(200);
    expect(b.body).toEqual(a.body);
    await get(byId(DEMO_IDS.claim, accountB.accountId), accountA).expect(401);
  });

  it('answers an unknown interaction with a plain-text 404 sentence', async () => {
    const response = await get(byId(DEMO_IDS.notFound)).expect(404);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.text).toBe(`history for UUID ${DEMO_IDS.notFound} was not found`);
    const byAttr = await get(byAttribute('no-such-attribute')).expect(404);
    expect(byAttr.text).toBe('history for attribute no-such-attribute was not found');
  });

  it('answers a found-but-empty history with 200 and the literal EMPTY', async () => {
    const response = await get(byId(DEMO_IDS.empty)).expect(200);
    expect(response.text).toBe('EMPTY');
  });

  it('answers an internal error with 500 and the body exception', async () => {
    const response = await get(byId(DEMO_IDS.internalError)).expect(500);
    expect(response.text).toBe('exception');
  });

  it('finds a history completed eight months ago only with widerSearch=true', async () => {
    await get(byId(DEMO_IDS.old)).expect(404);
    await get(`${byId(DEMO_IDS.old)}?widerSearch=false`).expect(404);
    const wider = await get(`${byId(DEMO_IDS.old)}?widerSearch=true`).expect(200);
    expect(wider.body).toHaveLength(2);
  });

  it('serves big-5000 with 5,000 pages', async () => {
    const response = await get(byId(DEMO_IDS.big)).expect(200);
    expect(response.body).toHaveLength(5000);
  });

  describe('credentials', () => {
    const unauthorizedBody = {
      code: '0x7000000',
      message: 'Request is unauthorized, missing or wrong credentials',
      moreInfoUrl: 'http://support.uniphore.com',
    };

    it.each(['Tenant-Id', 'Application-Key', 'Environment-Name'])('rejects a request without %s', async (missing) => {
      const headers = credentialHeaders(accountA);
      delete headers[missing];
      const response = await http().get(byId(DEMO_IDS.claim)).set(headers).expect(401);
      expect(response.headers['unauthenticated-reason']).toBe('missing credentials');
      expect(response.body).toEqual(unauthorizedBody);
    });

    it.each(['Tenant-Id', 'Application-Key', 'Environment-Name'])('rejects a wrong %s', async (wrong) => {
      const response = await http()
        .get(byId(DEMO_IDS.claim))
        .set({ ...credentialHeaders(accountA), [wrong]: 'wrong' })
        .expect(401);
      expect(response.headers['unauthenticated-reason']).toBe('wrong credentials');
      expect(response.body).toEqual(unauthorizedBody);
    });

    it('serves an account with a single environment without Environment-Name', async () => {
      const single = SINGLE_ENVIRONMENT_ACCOUNT;
      expect(credentialHeaders(single)).not.toHaveProperty('Environment-Name');
      const response = await get(byId(DEMO_IDS.claim, single.accountId), single).expect(200);
      expect(response.body).toEqual((await get(byId(DEMO_IDS.claim)).expect(200)).body);
    });

    it('rejects an Environment-Name sent for an account with a single environment', async () => {
      const single = SINGLE_ENVIRONMENT_ACCOUNT;
      const response = await http()
        .get(byId(DEMO_IDS.claim, single.accountId))
        .set({ ...credentialHeaders(single), 'Environment-Name': 'PROD' })
        .expect(401);
      expect(response.headers['unauthenticated-reason']).toBe('wrong credentials');
      expect(response.body).toEqual(unauthorizedBody);
    });

    it('rejects an account it does not know', async () => {
      await get(byId(DEMO_IDS.claim, '99999999')).expect(401);
    });
  });

  describe('fault injection', () => {
    it('counts the requests it receives and resets the counters', async () => {
      await get(byId(DEMO_IDS.claim)).expect(200);
      await get(byId(DEMO_IDS.notFound)).expect(404);
      expect(await simulator.stats()).toMatchObject({ rest: { requests: 2 }, soap: { requests: 0 }, total: 2 });
      await simulator.reset();
      expect((await simulator.stats()).total).toBe(0);
    });

    it('fails every request at error rate 1 and none after a reset', async () => {
      await simulator.setFaults({ rest: { errorRate: 1 } });
      const failed = await get(byId(DEMO_IDS.claim)).expect(500);
      expect(failed.text).toBe('exception');
      expect((await simulator.stats()).rest.injectedErrors).toBe(1);
      await simulator.reset();
      await get(byId(DEMO_IDS.claim)).expect(200);
    });

    it('adds the configured latency', async () => {
      await simulator.setFaults({ rest: { latencyMs: 300 } });
      const started = performance.now();
      await get(byId(DEMO_IDS.claim)).expect(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    });

    it('rejects a fault setting out of range', async () => {
      await http()
        .put('/__simulator/faults')
        .send({ rest: { errorRate: 2 } })
        .expect(400);
    });
  });
});

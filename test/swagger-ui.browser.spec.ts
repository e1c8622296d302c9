import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadGatewayConfig } from '../apps/gateway/src/config/gateway.config.js';
import { DOCS_PAGE_TITLE } from '../apps/gateway/src/docs/openapi.js';
import { createGatewayApp } from '../apps/gateway/src/gateway.app.js';
import { PROBLEM_TYPES } from '../apps/gateway/src/problems/problem-types.js';
import { DEMO_ACCOUNTS, DEMO_IDS, startSimulator, type RunningSimulator } from './support/simulator.js';

/**
 * Swagger UI as a visitor uses it, in Debian's Chromium: the demo configuration against the
 * simulator, authorized with the demo key, Try it out on both demo accounts.
 */

/** Debian's package, never a browser downloaded for the tests: the machine reaches no such host. */
const CHROMIUM = '/usr/bin/chromium';
const DEMO_KEY = 'demo-key';
const [REST, SOAP] = DEMO_ACCOUNTS.map((account) => account.accountId);
/** Swagger UI's ids are operations-<tag>-<operationId>. */
const INTERACTION_FLOW = '#operations-flows-getInteractionFlow';
const INTERACTION_PHOTO = '#operations-flows-getInteractionPhoto';

let simulator: RunningSimulator;
let gateway: NestFastifyApplication;
let url: string;
let folder: string | undefined;
let profile: string | undefined;
let browser: BrowserContext | undefined;
/** Console errors and uncaught exceptions: a CSP that blocks Swagger UI shows here first. */
const errors: string[] = [];

beforeAll(async () => {
  simulator = await startSimulator();
  // The demo configuration as npm run demo loads it, pointed at this simulator's port.
  folder = mkdtempSync(join(tmpdir(), 'swagger-ui-'));
  const file = join(folder, 'gateway.json');
  const demo = readFileSync(new URL('../config/demo.json', import.meta.url), 'utf8');
  writeFileSync(file, demo.replaceAll('http://127.0.0.1:3001', simulator.url));
  gateway = await createGatewayApp(
    loadGatewayConfig({
      GATEWAY_CONFIG_FILE: file,
      LOG_LEVEL: 'silent',
      RENDER_THREADS: '1',
      ...Object.fromEntries(
        DEMO_ACCOUNTS.map((account) => [`INTERACT_APPLICATION_KEY_${account.accountId}`, account.applicationKey]),
      ),
    }),
  );
  await gateway.listen(0, '127.0.0.1');
  url = (await gateway.getUrl()).replace('[::1]', '127.0.0.1');
});

afterAll(async () => {
  await browser?.close();
  for (const made of [profile, folder]) if (made) rmSync(made, { recursive: true, force: true });
  await gateway?.close();
  await simulator?.close();
});

/** Swagger UI, authorized with the demo key as a visitor does, with the operation open in Try it out. */
async function tryOut(operationSelector: string) {
  const page = await browserPage();
  await page.goto(`${url}/docs`);
  await page.locator('.auth-wrapper button.authorize').click();
  await page.locator('#auth-bearer-value').fill(DEMO_KEY);
  await page.locator('.auth-btn-wrapper button.authorize').click();
  await page.locator('.auth-btn-wrapper button.btn-done').click();
  const operation = page.locator(operationSelector);
  await operation.locator('.opblock-summary').click();
  await operation.locator('button.try-out__btn').click();
  return { page, operation };
}

let opened: Promise<Page> | undefined;

/**
 * The one page of the one browser, launched by the first test that needs it. Not in beforeAll:
 * there a missing Chromium would leave the tests reported as skipped, and they must fail.
 */
function browserPage(): Promise<Page> {
  opened ??= (async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it when missing)`);
    profile = mkdtempSync(join(tmpdir(), 'swagger-ui-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      // Playwright adds --headless.
      headless: true,
      // The machine's network is closed: nothing may try to reach out, or wait on it.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    // The machine is shared and loaded: Swagger UI may take a while to render the document.
    page.setDefaultTimeout(60_000);
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    return page;
  })();
  return opened;
}

it('is titled for the service, tells the demo accounts apart, and renders descriptions as written', async () => {
  const page = await browserPage();
  await page.goto(`${url}/docs`);
  const info = page.locator('.information-container');
  await expect
    .poll(() => info.textContent(), { timeout: 60_000 })
    .toContain('What a customer did in a Uniphore Interact flow');
  expect(await page.title()).toBe(DOCS_PAGE_TITLE);
  const accounts = (await info.locator('tr').allInnerTexts()).map((row) => row.split('\t'));
  expect(accounts).toEqual(
    expect.arrayContaining([
      [REST, 'REST'],
      [SOAP, 'SOAP'],
    ]),
  );
  expect(await info.textContent()).toContain(DEMO_IDS.callbackAttribute);

  const operation = page.locator(INTERACTION_FLOW);
  await operation.locator('.opblock-summary').click();
  const cacheControl = operation.locator('.response[data-code="200"] .headers tr', { hasText: 'Cache-Control' });
  await expect
    .poll(() => cacheControl.innerText(), { timeout: 60_000 })
    .toContain('private, max-age=N, N being the seconds the flow stays fresh.');
  expect(
    await operation.locator('.response[data-code="400"] .response-col_description__inner li').allInnerTexts(),
  ).toEqual([PROBLEM_TYPES['validation-failed'].title, PROBLEM_TYPES['bad-request'].title]);
  expect(errors).toEqual([]);
}, 120_000);

it('authorizes with the demo key, runs Try it out on the REST and the SOAP account, and keeps the key out of storage', async () => {
  const { page, operation } = await tryOut(INTERACTION_FLOW);
  await operation.locator('tr[data-param-name="interactionId"] input').fill(DEMO_IDS.claim);
  for (const account of [REST, SOAP]) {
    await operation.locator('tr[data-param-name="accountId"] input').fill(account);
    await operation.locator('button.execute').click();
    const live = operation.locator('.live-responses-table');
    const body = live.locator('.response-col_description pre.microlight').first();
    // The response of the account before stays on the page until this one's arrives.
    const renderedFlow = async () => {
      try {
        return JSON.parse(await body.innerText()) as { accountId: string; pages: { title: string }[] };
      } catch {
        return undefined;
      }
    };
    await expect.poll(async () => (await renderedFlow())?.accountId, { timeout: 60_000 }).toBe(account);
    expect(await operation.locator('.request-url').innerText()).toContain(
      `${url}/v1/accounts/${account}/interactions/${DEMO_IDS.claim}/flow`,
    );
    expect(await live.locator('tbody .response-col_status').first().innerText()).toBe('200');
    const rendered = (await renderedFlow())!;
    // What the simulator's demo history of 040100713 holds.
    expect(rendered.pages.map((flowPage) => flowPage.title)).toEqual([
      'Welcome',
      'Injuries',
      'What happened',
      'Photos',
    ]);
  }

  // Each account over its own transport: one history fetched over REST, one over SOAP.
  const { rest, soap } = await simulator.stats();
  expect([rest.requests, soap.requests]).toEqual([1, 1]);

  // An expression rather than a function: the tests are typed without the DOM's globals.
  const stored = (await page.evaluate('JSON.stringify({ ...localStorage, ...sessionStorage })')) as string;
  expect(stored).not.toContain(DEMO_KEY);
  expect(errors).toEqual([]);
}, 120_000);

it('shows each photo of 040100713 in Try it out, on the REST and the SOAP account', async () => {
  const { page, operation } = await tryOut(INTERACTION_PHOTO);
  await operation.locator('tr[data-param-name="interactionId"] input').fill(DEMO_IDS.claim);
  // Not the example Swagger UI fills in (the simulator's own size): the image must come at the size asked.
  await operation.locator('tr[data-param-name="maxSize"] input').fill('320');
  const image = operation.locator('.live-responses-table .response-col_description img');
  let shown: string | null = null;
  for (const account of [REST, SOAP]) {
    // The ids a caller takes from the flow, as Swagger UI's visitor would from the flow's Try it out.
    const flow = await fetch(`${url}/v1/accounts/${account}/interactions/${DEMO_IDS.claim}/flow`, {
      headers: { authorization: `Bearer ${DEMO_KEY}` },
    });
    const { pages } = (await flow.json()) as { pages: { photos: { id: string; href: string }[] }[] };
    const photos = pages.flatMap((flowPage) => flowPage.photos);
    expect(photos).toHaveLength(2);
    await operation.locator('tr[data-param-name="accountId"] input').fill(account);
    for (const photo of photos) {
      await operation.locator('tr[data-param-name="photoId"] input').fill(photo.id);
      await operation.locator('button.execute').click();
      // Each answer is drawn from a blob: URL of its own; the one before stays until it arrives.
      const before = shown;
      await expect.poll(async () => (await image.getAttribute('src')) !== before, { timeout: 60_000 }).toBe(true);
      shown = await image.getAttribute('src');
      expect(shown).toMatch(/^blob:/);
      expect(await operation.locator('.request-url pre').innerText()).toBe(`${url}${photo.href}?maxSize=320`);
      // An expression rather than a function: the tests are typed without the DOM's globals.
      const width = `document.querySelector('${INTERACTION_PHOTO} .live-responses-table .response-col_description img').naturalWidth`;
      // Loaded and decoded, at the size asked.
      await expect.poll(() => page.evaluate(width), { timeout: 10_000 }).toBe(320);
    }
  }
  expect((await simulator.stats()).photos.requests).toBe(4);
  expect(errors).toEqual([]);
}, 120_000);

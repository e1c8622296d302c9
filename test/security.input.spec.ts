import { Client } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_IDS } from './support/simulator.js';
import { REST_ACCOUNT, SOAP_ACCOUNT, TEST_API_KEY, type RunningGateway } from './support/gateway.js';
import { keptRequest } from './support/contract.js';
import { useTestbed } from './support/testbed.js';

const testbed = useTestbed();
let gateway: RunningGateway;
// A client that sends the path exactly as written: fetch and URL parsing would resolve ".." and "%2e%2e" first.
let client: Client;

beforeEach(async () => {
  gateway = await testbed.gateway();
  client = new Client(gateway.url);
});
afterEach(() => client.close());

/** Sends the request as written, with the test client's key, and checks its answer against the contract. */
const send = (path: string, { method = 'GET', ...headers }: Record<string, string> = {}) =>
  keptRequest(gateway.contract, client, {
    method,
    path,
    headers: { authorization: `Bearer ${TEST_API_KEY}`, ...headers },
  });

const byId = (value: string, query = '') => `/v1/accounts/${REST_ACCOUNT}/interactions/${value}/flow${query}`;
const byAttribute = (value: string) => `/v1/accounts/${SOAP_ACCOUNT}/caller-attributes/${value}/flow`;

/** Each hostile request, written as it goes on the wire, and the status it must get. */
const HOSTILE: Array<[string, string, number, Record<string, string>?]> = [
  ['encoded slash', byId('a%2Fb'), 400],
  ['lower-case encoded slash', byId('a%2fb'), 400],
  ['dot-dot segment', byId('..'), 400],
  ['single dot segment', byId('.'), 400],
  ['encoded dot-dot', byId('%2e%2e'), 400],
  ['encoded single dot', byId('%2E'), 400],
  ['encoded dot-dot-slash', byId('%2E%2E%2F'), 400],
  ['path traversal', byId('..%2F..%2Fetc%2Fpasswd'), 400],
  ['double-encoded slash', byId('a%252Fb'), 400],
  ['triple-encoded slash', byId('a%25252Fb'), 400],
  ['double-encoded dot-dot', byId('%252e%252e'), 400],
  ['overlong UTF-8 slash', byId('a%C0%AFb'), 400],
  ['overlong UTF-8 dots', byId('%C0%AE%C0%AE'), 400],
  ['overlong three-byte slash', byId('a%E0%80%AFb'), 400],
  ['lone percent', byId('a%b'), 400],
  ['bad percent escape', byId('a%zzb'), 400],
  ['NUL alone', byId('%00'), 400],
  ['NUL inside', byId('a%00b'), 400],
  ['CRLF', byId('a%0D%0Ab'), 400],
  ['header injection', byId('a%0D%0ASet-Cookie:%20x=1'), 400],
  ['tab', byId('a%09b'), 400],
  ['DEL', byId('a%7Fb'), 400],
  ['C1 control (NEL)', byId('a%C2%85b'), 400],
  ['division slash look-alike', byId('a%E2%88%95b'), 400],
  ['fraction slash look-alike', byId('a%E2%81%84b'), 400],
  ['fullwidth solidus', byId('a%EF%BC%8Fb'), 400],
  ['big solidus', byId('a%E2%A7%B8b'), 400],
  ['backslash', byId('a%5Cb'), 400],
  ['fullwidth backslash', byId('a%EF%BC%BCb'), 400],
  ['small reverse solidus', byId('a%EF%B9%A8b'), 400],
  ['fullwidth dot-dot', byId('%EF%BC%8E%EF%BC%8E'), 400],
  ['two-dot leader', byId('%E2%80%A5'), 400],
  ['zero-width space (U+200B)', byId('a%E2%80%8Bb'), 400],
  ['zero-width joiner (U+200D)', byId('a%E2%80%8Db'), 400],
  ['left-to-right mark (U+200E)', byId('a%E2%80%8Eb'), 400],
  ['right-to-left override (U+202E)', byId('a%E2%80%AEb'), 400],
  ['word joiner (U+2060)', byId('a%E2%81%A0b'), 400],
  ['invisible plus (U+2064)', byId('a%E2%81%A4b'), 400],
  ['left-to-right isolate (U+2066)', byId('a%E2%81%A6b'), 400],
  ['byte order mark inside (U+FEFF)', byId('a%EF%BB%BFb'), 400],
  ['soft hyphen (U+00AD)', byId('a%C2%ADb'), 400],
  ['tag letter (U+E0041)', byId('a%F3%A0%81%81b'), 400],
  ['line separator inside (U+2028)', byId('a%E2%80%A8b'), 400],
  ['paragraph separator inside (U+2029)', byId('a%E2%80%A9b'), 400],
  ['caller attribute with a zero-width space, over SOAP', byAttribute('1122%E2%80%8B33'), 400],
  ['caller attribute with a line separator, over SOAP', byAttribute('1122%E2%80%A833'), 400],
  ['U+FFFE, not an XML character, over SOAP', byAttribute('a%EF%BF%BEb'), 400],
  ['U+FFFF, not an XML character', byId('a%EF%BF%BFb'), 400],
  ['leading space', byId('%20abc'), 400],
  ['trailing space', byId('abc%20'), 400],
  ['only spaces', byId('%20%20'), 400],
  ['129 characters', byId('x'.repeat(129)), 400],
  ['a 10 kB value', byId('y'.repeat(10_000)), 400],
  ['a 13 kB URL', byId('z'.repeat(13_000)), 414],
  ['empty segment', byId(''), 400],
  ['widerSearch=TRUE', byId(DEMO_IDS.claim, '?widerSearch=TRUE'), 400],
  ['widerSearch=1', byId(DEMO_IDS.claim, '?widerSearch=1'), 400],
  ['widerSearch twice', byId(DEMO_IDS.claim, '?widerSearch=true&widerSearch=false'), 400],
  ['widerSearch as an array', byId(DEMO_IDS.claim, '?widerSearch[]=true'), 400],
  ['an unknown parameter', byId(DEMO_IDS.claim, '?callback=alert'), 400],
  ['a dot-dot account', `/v1/accounts/../interactions/${DEMO_IDS.claim}/flow`, 400],
  ['an encoded traversal account', `/v1/accounts/%2e%2e%2fadmin/interactions/${DEMO_IDS.claim}/flow`, 400],
  ['an unknown account', `/v1/accounts/99999999/interactions/${DEMO_IDS.claim}/flow`, 404],
  ['caller attribute with an encoded slash', byAttribute('a%2Fb'), 400],
  ['caller attribute dot-dot', byAttribute('..'), 400],
  ['caller attribute CRLF', byAttribute('x%0D%0Ay'), 400],
  ['caller attribute NUL', byAttribute('%00'), 400],
  ['caller attribute overlong UTF-8', byAttribute('%C0%AF'), 400],
  ['a method the API does not have', byId(DEMO_IDS.claim), 405, { method: 'DELETE' }],
  ['a 20 kB header', byId(DEMO_IDS.claim), 431, { 'x-padding': 'p'.repeat(20_000) }],
];

describe('hostile requests', () => {
  it('has a table of at least 40', () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(40);
  });

  it.each(HOSTILE)('rejects %s (%s) with %i, asking nothing upstream', async (_case, path, status, extra = {}) => {
    const response = await send(path, extra);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.text).not.toMatch(/at .+\.(js|ts):\d+/);
    expect((await testbed.simulator.stats()).total).toBe(0);
  });

  it('still serves the valid neighbours of those values', async () => {
    for (const value of ['z'.repeat(128), 'a.b', '...', 'a..b', 'a%3Bb', 'caf%C3%A9', '%E2%9C%93'])
      expect([200, 404]).toContain((await send(byId(value))).status);
    expect((await testbed.simulator.stats()).rest.requests).toBe(7);
  });
});

describe('invisible characters', () => {
  it.each([
    ['U+200B', '%E2%80%8B'],
    ['U+2028', '%E2%80%A8'],
  ])('names %s among the characters refused', async (_name, encoded) => {
    const response = await send(byId(`040100${encoded}713`));
    expect(response.status).toBe(400);
    expect((JSON.parse(response.text) as { errors: unknown[] }).errors).toEqual([
      {
        field: 'interactionId',
        message:
          'interactionId must not contain "/", "\\", control or invisible formatting characters, line or paragraph separators, U+FFFE, U+FFFF or percent-encoded sequences',
      },
    ]);
  });
});

describe('query parameters, checked by own properties', () => {
  const ask = async (path: string) => {
    const { status, text } = await send(path);
    return { status, body: JSON.parse(text) as Record<string, unknown> };
  };
  const notAParameter = (field: string) => ({ field, message: `${field} is not a parameter of this operation` });

  it.each(['__proto__', 'constructor'])(
    'refuses ?%s=x on the controller path, asking nothing upstream',
    async (name) => {
      const { status, body } = await ask(byId('never-cached-1', `?${name}=x`));
      expect(status).toBe(400);
      expect(body.type).toMatch(/validation-failed$/);
      expect(body.errors).toEqual([notAParameter(name)]);
      expect((await testbed.simulator.stats()).total).toBe(0);
    },
  );

  it.each(['__proto__', 'constructor'])('refuses ?%s=x on a cache hit', async (name) => {
    expect((await ask(byId(DEMO_IDS.claim, '?widerSearch=false'))).status).toBe(200);
    const primed = (await testbed.simulator.stats()).total;
    for (const query of [`?${name}=x`, `?widerSearch=false&${name}=x`]) {
      const { status, body } = await ask(byId(DEMO_IDS.claim, query));
      expect(status).toBe(400);
      expect(body.errors).toEqual([notAParameter(name)]);
    }
    expect((await testbed.simulator.stats()).total).toBe(primed);
  });

  it('lists an own "constructor" with the other broken parameters', async () => {
    const { status, body } = await ask(byId(DEMO_IDS.claim, '?constructor=x&widerSearch=TRUE&callback=y'));
    expect(status).toBe(400);
    expect(body.errors).toEqual(
      expect.arrayContaining([
        notAParameter('constructor'),
        notAParameter('callback'),
        { field: 'widerSearch', message: 'widerSearch must be "true" or "false"' },
      ]),
    );
  });
});

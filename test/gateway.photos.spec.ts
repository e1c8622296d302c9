import { describe, expect, it } from 'vitest';
import { restPhotoPath } from '@app/interact';
import { PHOTO_PATHS, photoBytes } from '../apps/interact-simulator/src/photos/photo-library.js';
import { photoIdOf } from '../apps/gateway/src/flow/photo-id.js';
import {
  REST_ACCOUNT,
  SOAP_ACCOUNT,
  TEST_API_KEY,
  apiClient,
  defaultResilience,
  type RunningGateway,
} from './support/gateway.js';
import { redisCache } from './support/redis.js';
import { DEMO_ACCOUNTS, DEMO_IDS, credentialHeaders } from './support/simulator.js';
import { useTestbed } from './support/testbed.js';
import { flowPath, photoPath } from './support/paths.js';
import { metricValue } from './support/metrics.js';

const testbed = useTestbed();

const photoCalls = async () => (await testbed.simulator.stats()).photos.requests;

/** A history whose one page lists the given photo paths. */
const withPhotos = (paths: string[]) => [
  {
    pageNavigation: { pageTitle: 'Photos', referenceName: 'photos', pageId: 1 },
    pageContent: {
      contentSections: [
        {
          sectionLabel: 'Damage',
          sectionChoices: [
            { id: 1, choiceValue: '', uploadImageList: { images: paths.map((img_path) => ({ img_path })) } },
          ],
        },
      ],
    },
  },
];

/** Reads a whole response over plain HTTP, to see how it ends: completely, or broken off. */
async function download(
  gateway: RunningGateway,
  path: string,
): Promise<{ status: number; headers: Headers; body: Promise<Buffer> }> {
  // Its status and headers checked against the contract, its body left to the test.
  const response = await gateway.fetch(path, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
  return {
    status: response.status,
    headers: response.headers,
    body: response.arrayBuffer().then((bytes) => Buffer.from(bytes)),
  };
}

const PNG = [0x89, 0x50, 0x4e, 0x47];
const JPEG = [0xff, 0xd8, 0xff];

describe.each([
  ['REST', REST_ACCOUNT],
  ['SOAP', SOAP_ACCOUNT],
])('photos of a %s account', (_wire, account) => {
  it('lists each photo with an id and an href that answers the image', async () => {
    const gateway = await testbed.gateway();
    const flow = await gateway.http().get(flowPath(account, DEMO_IDS.claim)).expect(200);
    const photos = flow.body.pages.flatMap((page: { photos: { id: string; href: string }[] }) => page.photos);
    expect(photos).toHaveLength(2);
    const png = await gateway.http().get(photos[0].href).buffer(true).expect(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect([...png.body.subarray(0, 4)]).toEqual(PNG);
    expect(png.headers['x-content-type-options']).toBe('nosniff');
    expect(png.headers['content-disposition']).toBe(`inline; filename="photo-${photos[0].id}.png"`);
    expect(png.headers['cache-control']).toMatch(/^private, max-age=\d+, immutable$/);
    expect(png.headers.etag).toMatch(/^"[\w-]{27}"$/);
    // Upstream calls every photo image/jpg;charset=UTF-8: the bytes say which it is.
    const jpeg = await gateway.http().get(photos[1].href).buffer(true).expect(200);
    expect(jpeg.headers['content-type']).toBe('image/jpeg');
    expect([...jpeg.body.subarray(0, 3)]).toEqual(JPEG);
    const stats = await testbed.simulator.stats();
    expect(stats.photos.requests).toBe(2);
    // The double encoding arrived and was taken off: the path is the flow's, the account the SOAP one's too.
    expect(stats.photos.latest).toEqual({
      accountId: account,
      uniqueId: DEMO_IDS.claim,
      path: PHOTO_PATHS.claimJpeg,
      maxSize: null,
    });
  });

  it('counts photo calls, their durations and cache reads under operation="photo", apart from the flow', async () => {
    const gateway = await testbed.gateway();
    const path = photoPath(account, DEMO_IDS.claim, photoIdOf(PHOTO_PATHS.claimPng));
    await gateway.http().get(path).expect(200); // a photo miss, after a flow miss
    await gateway.http().get(path).expect(200); // a photo hit, after a flow hit
    const text = (await gateway.admin().get('/metrics')).text;
    const flowLabels = { account, transport: account === SOAP_ACCOUNT ? 'soap' : 'rest', operation: 'flow' };
    // Photos are REST whatever the account's wire.
    const photoLabels = { account, transport: 'rest', operation: 'photo' };
    for (const calls of [flowLabels, photoLabels]) {
      expect(metricValue(text, 'interact_upstream_requests_total', { ...calls, outcome: 'success' })).toBe(1);
      expect(
        metricValue(text, 'interact_upstream_request_duration_seconds_count', { ...calls, outcome: 'success' }),
      ).toBe(1);
    }
    for (const operation of ['flow', 'photo'])
      for (const result of ['miss', 'hit'])
        expect(metricValue(text, 'interact_cache_requests_total', { operation, result })).toBe(1);
  });
});

describe('the photo route', () => {
  const claimPhoto = photoIdOf(PHOTO_PATHS.claimPng);

  it('forwards maxSize, and caches each size once', async () => {
    const gateway = await testbed.gateway();
    const small = await gateway
      .http()
      .get(photoPath(REST_ACCOUNT, DEMO_IDS.claim, claimPhoto, '?maxSize=120'))
      .buffer(true)
      .expect(200);
    // The PNG's IHDR: width then height.
    expect(small.body.readUInt32BE(16)).toBe(120);
    expect((await testbed.simulator.stats()).photos.latest?.maxSize).toBe(120);
    const again = await gateway
      .http()
      .get(photoPath(REST_ACCOUNT, DEMO_IDS.claim, claimPhoto, '?maxSize=120'))
      .expect(200);
    expect(again.headers['cache-status']).toContain('hit');
    expect(again.headers.etag).toBe(small.headers.etag);
    const full = await gateway
      .http()
      .get(photoPath(REST_ACCOUNT, DEMO_IDS.claim, claimPhoto))
      .buffer(true)
      .expect(200);
    expect(full.body.readUInt32BE(16)).toBe(640);
    expect(full.headers.etag).not.toBe(small.headers.etag);
    expect(await photoCalls()).toBe(2);
  });

  it('answers a matching If-None-Match with 304 and no upstream call', async () => {
    const gateway = await testbed.gateway();
    const path = photoPath(REST_ACCOUNT, DEMO_IDS.claim, claimPhoto);
    const first = await gateway.http().get(path).expect(200);
    const before = await photoCalls();
    const revalidated = await gateway.http().get(path).set('If-None-Match', first.headers.etag).expect(304);
    expect(revalidated.headers.etag).toBe(first.headers.etag);
    expect(revalidated.headers['cache-control']).toContain('immutable');
    expect(await photoCalls()).toBe(before);
  });

  it('refuses a photo its flow does not list, without asking for any photo', async () => {
    const gateway = await testbed.gateway();
    // A real photo id, but of another interaction's flow.
    await testbed.simulator.seedHistory('other-0001', withPhotos([PHOTO_PATHS.large]));
    const foreign = await gateway
      .http()
      .get(photoPath(REST_ACCOUNT, DEMO_IDS.claim, photoIdOf(PHOTO_PATHS.large)))
      .expect(404);
    expect(foreign.body.type).toBe('/problems/photo-not-found');
    // The id of a path no flow lists: ids are digests, resolved against the flow, never decoded into paths.
    const forged = await gateway
      .http()
      .get(photoPath(REST_ACCOUNT, DEMO_IDS.claim, photoIdOf('/etc/passwd')))
      .expect(404);
    expect(forged.body.type).toBe('/problems/photo-not-found');
    expect(await photoCalls()).toBe(0);
  });

  it.each([
    ['a path', encodeURIComponent('/mnt/sdcard/home/downloads/i1152998579.png')],
    ['a short id', 'abc'],
    ['dots', '..'.repeat(11)],
  ])('refuses %s as a photo id with validation-failed', async (_what, photoId) => {
    const gateway = await testbed.gateway();
    const response = await gateway
      .http()
      .get(photoPath(REST_ACCOUNT, DEMO_IDS.claim, photoId))
      .expect(400);
    expect(response.body.type).toBe('/problems/validation-failed');
    expect(response.body.errors[0].field).toBe('photoId');
    expect(await photoCalls()).toBe(0);
  });

  it.each(['0', '15', '4097', '1e3', '0x40', '-1', '12.5'])('refuses maxSize=%s', async (maxSize) => {
    const gateway = await testbed.gateway();
    const response = await gateway
      .http()
      .get(photoPath(REST_ACCOUNT, DEMO_IDS.claim, claimPhoto, `?maxSize=${maxSize}`))
      .expect(400);
    expect(response.body.type).toBe('/problems/validation-failed');
    expect(response.body.errors[0].field).toBe('maxSize');
  });

  it('authenticates and authorizes like every /v1 route', async () => {
    const gateway = await testbed.gateway({
      clients: [apiClient('test', TEST_API_KEY, [REST_ACCOUNT]), apiClient('soap-less', 'k2', [REST_ACCOUNT])],
    });
    const path = photoPath(REST_ACCOUNT, DEMO_IDS.claim, claimPhoto);
    await gateway.http().get(path).set('Authorization', 'Bearer nope').expect(401);
    await gateway
      .http()
      .get(photoPath(SOAP_ACCOUNT, DEMO_IDS.claim, claimPhoto))
      .expect(403);
    expect(await photoCalls()).toBe(0);
  });

  it('gives photos of a flow found by caller attribute no href', async () => {
    const gateway = await testbed.gateway();
    const flow = await gateway
      .http()
      .get(flowPath(REST_ACCOUNT, { callerAttribute: DEMO_IDS.claimAttribute }))
      .expect(200);
    const photos = flow.body.pages.flatMap((page: { photos: object[] }) => page.photos);
    expect(photos).toHaveLength(2);
    expect(
      photos.every((photo: { href: unknown; id: unknown }) => photo.href === null && typeof photo.id === 'string'),
    ).toBe(true);
  });

  it('answers a photo Interact no longer holds as photo-not-found, and remembers it briefly', async () => {
    const gateway = await testbed.gateway();
    const gone = '/mnt/sdcard/home/downloads/deleted-at-end.jpg';
    await testbed.simulator.seedHistory('gone-0001', withPhotos([gone]));
    const first = await gateway
      .http()
      .get(photoPath(REST_ACCOUNT, 'gone-0001', photoIdOf(gone)))
      .expect(404);
    expect(first.body.type).toBe('/problems/photo-not-found');
    expect(first.body.detail).not.toContain(gone);
    const second = await gateway
      .http()
      .get(photoPath(REST_ACCOUNT, 'gone-0001', photoIdOf(gone)))
      .expect(404);
    expect(second.headers['cache-status']).toContain('hit');
    expect(await photoCalls()).toBe(1);
    const text = (await gateway.admin().get('/metrics')).text;
    const calls = { account: REST_ACCOUNT, transport: 'rest', operation: 'photo' };
    expect(metricValue(text, 'interact_upstream_requests_total', { ...calls, outcome: 'not_found' })).toBe(1);
    expect(metricValue(text, 'interact_cache_requests_total', { operation: 'photo', result: 'hit' })).toBe(1);
  });

  it.each([
    ['HTML', PHOTO_PATHS.html],
    ['SVG with a script', PHOTO_PATHS.svg],
    ['text', PHOTO_PATHS.text],
    ['an empty body', PHOTO_PATHS.empty],
  ])('refuses %s served as an image as upstream-error', async (_what, path) => {
    const gateway = await testbed.gateway();
    await testbed.simulator.seedHistory('hostile-0001', withPhotos([path]));
    const response = await gateway
      .http()
      .get(photoPath(REST_ACCOUNT, 'hostile-0001', photoIdOf(path)))
      .expect(502);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json;/);
    expect(response.body.type).toBe('/problems/upstream-error');
    expect(response.text).not.toContain('<script');
  });

  it('maps an empty 500 as for the flow', async () => {
    const gateway = await testbed.gateway({}, { resilience: defaultResilience({ retryMaxAttempts: 1 }) });
    await testbed.simulator.setFaults({ photos: { errorRate: 1 } });
    const response = await gateway
      .http()
      .get(photoPath(REST_ACCOUNT, DEMO_IDS.claim, claimPhoto))
      .expect(502);
    expect(response.body.type).toBe('/problems/upstream-error');
    expect(JSON.stringify(response.body)).not.toContain('demo-app-key');
  });

  it('streams a photo too large to cache, whole, through every request', async () => {
    const gateway = await testbed.gateway();
    await testbed.simulator.seedHistory('scan-0001', withPhotos([PHOTO_PATHS.large]));
    const path = photoPath(REST_ACCOUNT, 'scan-0001', photoIdOf(PHOTO_PATHS.large));
    // Forwarded both times, so a miss both times, though the second request's cache knew the size.
    for (let round = 0; round < 2; round += 1) {
      const response = await download(gateway, path);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-status')).toBe('interact-flow-gateway; fwd=miss');
      expect(response.headers.get('content-type')).toBe('image/jpeg');
      const body = await response.body;
      expect(body.length).toBeGreaterThan(12 * 1024 * 1024);
      expect([...body.subarray(-2)]).toEqual([0xff, 0xd9]);
    }
    // Streamed, not cached: each request fetched it.
    expect(await photoCalls()).toBe(2);
  });

  it('streams a photo too large to cache to concurrent requests, each through an upstream call of its own', async () => {
    const gateway = await testbed.gateway();
    await testbed.simulator.seedHistory('scan-0001', withPhotos([PHOTO_PATHS.large]));
    await gateway.http().get(flowPath(REST_ACCOUNT, 'scan-0001')).expect(200);
    // Slow enough that every request arrives while the first one's call is still out: they join its load.
    await testbed.simulator.setFaults({ photos: { latencyMs: 300 } });
    const path = photoPath(REST_ACCOUNT, 'scan-0001', photoIdOf(PHOTO_PATHS.large));
    const responses = await Promise.all(Array.from({ length: 4 }, () => download(gateway, path)));
    const whole = photoBytes(PHOTO_PATHS.large, undefined)!;
    for (const response of responses) {
      expect(response.status).toBe(200);
      expect((await response.body).equals(whole)).toBe(true);
    }
    // Only the first one's load could read its body: the others fetched their own.
    expect(await photoCalls()).toBe(4);
    await download(gateway, path).then((response) => response.body);
    expect(await photoCalls()).toBe(5);
    const text = (await gateway.admin().get('/metrics')).text;
    expect(metricValue(text, 'interact_cache_requests_total', { operation: 'photo', result: 'miss' })).toBe(5);
    expect(metricValue(text, 'interact_cache_requests_total', { operation: 'photo', result: 'hit' })).toBeUndefined();
  });

  it('holds to the deadline only the read before the answer begins: a large photo dripped past it comes whole', async () => {
    const deadlineMs = 1_000;
    const gateway = await testbed.gateway(
      {},
      { timeoutMs: deadlineMs, resilience: defaultResilience({ retryDeadlineMs: deadlineMs }) },
    );
    await testbed.simulator.seedHistory('scan-0001', withPhotos([PHOTO_PATHS.large]));
    await gateway.http().get(flowPath(REST_ACCOUNT, 'scan-0001')).expect(200);
    // 64 KiB every 15 ms: the cacheable size is read in about 250 ms, the 12 MB in about 3 s.
    await testbed.simulator.setFaults({ photos: { dripMs: 15 } });
    const started = performance.now();
    const response = await download(gateway, photoPath(REST_ACCOUNT, 'scan-0001', photoIdOf(PHOTO_PATHS.large)));
    expect(response.status).toBe(200);
    expect((await response.body).equals(photoBytes(PHOTO_PATHS.large, undefined)!)).toBe(true);
    expect(performance.now() - started).toBeGreaterThan(2 * deadlineMs);
  });

  it('answers upstream-timeout when the photo does not begin within the deadline', async () => {
    const gateway = await testbed.gateway(
      {},
      { timeoutMs: 1_000, resilience: defaultResilience({ retryDeadlineMs: 1_000 }) },
    );
    await gateway.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    await testbed.simulator.setFaults({ photos: { latencyMs: 1_500 } });
    const started = performance.now();
    const response = await gateway
      .http()
      .get(photoPath(REST_ACCOUNT, DEMO_IDS.claim, claimPhoto))
      .expect(504);
    expect(response.body.type).toBe('/problems/upstream-timeout');
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('breaks off a photo that passes maxPhotoBytes once its headers went, so no caller takes it for whole', async () => {
    const gateway = await testbed.gateway({}, { maxPhotoBytes: 3 * 1024 * 1024 });
    await testbed.simulator.seedHistory('scan-0001', withPhotos([PHOTO_PATHS.large]));
    const response = await download(gateway, photoPath(REST_ACCOUNT, 'scan-0001', photoIdOf(PHOTO_PATHS.large)));
    expect(response.status).toBe(200);
    await expect(response.body).rejects.toThrow();
  });

  it('refuses with upstream-error a photo that passes maxPhotoBytes before its headers went', async () => {
    const gateway = await testbed.gateway({}, { maxPhotoBytes: 512 * 1024 });
    await testbed.simulator.seedHistory('scan-0001', withPhotos([PHOTO_PATHS.large]));
    const response = await gateway
      .http()
      .get(photoPath(REST_ACCOUNT, 'scan-0001', photoIdOf(PHOTO_PATHS.large)))
      .expect(502);
    expect(response.body.type).toBe('/problems/upstream-error');
  });

  it('makes 20 concurrent requests for one photo cost one upstream call', async () => {
    const gateway = await testbed.gateway();
    await gateway.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    await testbed.simulator.setFaults({ photos: { latencyMs: 300 } });
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => gateway.http().get(photoPath(REST_ACCOUNT, DEMO_IDS.claim, claimPhoto))),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    expect(new Set(responses.map((response) => response.headers.etag)).size).toBe(1);
    expect(await photoCalls()).toBe(1);
  });

  it('makes concurrent requests on two replicas sharing Redis cost one upstream call', async () => {
    const shared = redisCache();
    const a = await testbed.gateway({ cache: shared });
    const b = await testbed.gateway({ cache: shared });
    await a.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    await testbed.simulator.setFaults({ photos: { latencyMs: 500 } });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).http().get(photoPath(REST_ACCOUNT, DEMO_IDS.claim, claimPhoto)),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    expect(new Set(responses.map((response) => response.body.length)).size).toBe(1);
    expect(await photoCalls()).toBe(1);
  });

  it('keeps flow lookups going while a burst of slow photos fills the photo bulkhead', async () => {
    const resilience = defaultResilience({ photoBulkheadMaxConcurrent: 1, photoBulkheadMaxQueue: 1 });
    const gateway = await testbed.gateway({}, { resilience });
    await gateway.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.claim)).expect(200);
    await testbed.simulator.setFaults({ photos: { latencyMs: 1_000 } });
    const burst = Promise.all(
      [64, 65, 66, 67].map((size) =>
        gateway.http().get(photoPath(REST_ACCOUNT, DEMO_IDS.claim, claimPhoto, `?maxSize=${size}`)),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await gateway.http().get(flowPath(REST_ACCOUNT, DEMO_IDS.callback)).expect(200);
    expect(Date.now() - started).toBeLessThan(1_000);
    const statuses = (await burst).map((response) => response.status).sort();
    // One in flight, one queued, the rest refused by the photo bulkhead alone.
    expect(statuses).toEqual([200, 200, 503, 503]);
    const text = (await gateway.admin().get('/metrics')).text;
    const refusals = (operation: string) =>
      metricValue(text, 'interact_refusals_total', { account: REST_ACCOUNT, operation, reason: 'bulkhead_full' });
    expect(refusals('photo')).toBe(2);
    expect(refusals('flow')).toBeUndefined();
  });
});

describe("the simulator's photo method", () => {
  const account = DEMO_ACCOUNTS[0];
  const get = (path: string, headers = credentialHeaders(account)) =>
    fetch(`${testbed.simulator.url}${path}`, { headers });
  const base = `/interact/agent/version/2/account/${account.accountId}/photo/${DEMO_IDS.claim}`;

  it('answers the double encoding with a chunked image/jpg;charset=UTF-8', async () => {
    const response = await get(restPhotoPath(account.accountId, DEMO_IDS.claim, PHOTO_PATHS.claimPng));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpg;charset=UTF-8');
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect([...new Uint8Array(await response.arrayBuffer()).subarray(0, 4)]).toEqual(PNG);
  });

  it('understands the dots of older versions', async () => {
    const path = restPhotoPath(account.accountId, DEMO_IDS.claim, PHOTO_PATHS.claimJpeg, { legacyDot: true });
    expect(path).toContain(encodeURIComponent(encodeURIComponent('@@@@@png')));
    const response = await get(path);
    expect(response.status).toBe(200);
    expect((await testbed.simulator.stats()).photos.latest?.path).toBe(PHOTO_PATHS.claimJpeg);
  });

  it('refuses a path encoded once, and a bad maxSize, with the 400 sentence', async () => {
    const once = await get(`${base}/${encodeURIComponent(PHOTO_PATHS.claimPng)}`);
    expect(once.status).toBe(400);
    expect(await once.text()).toBe('missing or invalid parameter path');
    const size = await get(`${base}/${encodeURIComponent(encodeURIComponent(PHOTO_PATHS.claimPng))}?maxSize=big`);
    expect(size.status).toBe(400);
    expect(await size.text()).toBe('missing or invalid parameter maxSize');
  });

  it('answers wrong credentials with 401 and an unknown path with its 404 sentence', async () => {
    const path = restPhotoPath(account.accountId, DEMO_IDS.claim, PHOTO_PATHS.claimPng);
    expect((await get(path, { ...credentialHeaders(account), 'Application-Key': 'wrong' })).status).toBe(401);
    const missing = await get(restPhotoPath(account.accountId, DEMO_IDS.claim, '/mnt/sdcard/nothing.jpg'));
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('photo was not found');
  });
});

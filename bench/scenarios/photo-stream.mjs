// Photo stream: 20 concurrent downloads of the simulator's 12 MB photo, through one gateway, in
// turns with the same 20 straight from the simulator's photo method. A photo that large is never
// cached: each download streams an upstream call of its own, so what matters is that the gateway
// holds none of them whole (its peak RSS over its idle RSS) and what streaming through it costs
// (throughput and time to first byte against the direct download, in the same run).
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  expectOk,
  median,
  memoryOf,
  sampleRss,
  simulatorReset,
  simulatorSeedHistory,
  simulatorStats,
} from '../lib/measure.mjs';
import { ACCOUNTS, AUTH, startGateway, stop } from '../lib/processes.mjs';
import { bytesToMb, figure } from '../lib/report.mjs';

const CONCURRENCY = 20;
/** A turn takes a second or two, so more of them than the other scenarios' three: the median of five moves less. */
const TURNS = 5;
const INTERACTION = 'bench-scan-0001';
const TARGET_RSS_GROWTH_MB = 100;
/** Often enough to catch a peak that lasts as long as a few 64 KiB chunks take. */
const RSS_SAMPLE_MS = 20;
const JPEG_END = [0xff, 0xd9];

/** One download, its bytes counted and dropped: the bench must not hold 240 MB of photos itself. */
function download(url, { headers, agent }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { headers, agent }, (response) => {
      const ttfbMs = performance.now() - started;
      let bytes = 0;
      let tail = Buffer.alloc(0);
      response.on('data', (chunk) => {
        bytes += chunk.length;
        tail = chunk.length >= 2 ? chunk.subarray(-2) : Buffer.concat([tail, chunk]).subarray(-2);
      });
      response.on('error', reject);
      response.on('end', () =>
        resolve({
          status: response.statusCode,
          bytes,
          endsAsJpeg: tail.length === 2 && tail[0] === JPEG_END[0] && tail[1] === JPEG_END[1],
          ttfbMs,
          ttlbMs: performance.now() - started,
        }),
      );
    });
    req.setTimeout(120_000, () => req.destroy(new Error(`no answer from ${url} within 120 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** CONCURRENCY downloads at once: their bytes over the round's wall time, and their latencies. */
async function round(url, options, expectedBytes) {
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: CONCURRENCY }, () => download(url, options)));
  const seconds = (performance.now() - started) / 1_000;
  const bytes = answers.reduce((total, answer) => total + answer.bytes, 0);
  return {
    seconds,
    mbPerSecond: bytesToMb(bytes) / seconds,
    ttfbMs: median(answers.map((answer) => answer.ttfbMs)),
    ttlbMs: median(answers.map((answer) => answer.ttlbMs)),
    incomplete: answers.filter(
      (answer) => answer.status !== 200 || answer.bytes !== expectedBytes || !answer.endsAsJpeg,
    ).length,
  };
}

export async function photoStream(ctx) {
  const { options } = ctx;
  const account = ACCOUNTS.rest;
  // From the build, as the simulator holds them: the path of its 12 MB photo and how Interact's URL encodes it.
  const { PHOTO_PATHS } = await import('../../dist/apps/interact-simulator/src/photos/photo-library.js');
  const { restPhotoPath } = await import('../../dist/libs/interact/src/index.js');
  await simulatorSeedHistory(ctx.simulator.url, INTERACTION, [
    {
      pageNavigation: { pageTitle: 'Document scan', referenceName: 'scan', pageId: 1 },
      pageContent: {
        contentSections: [
          {
            sectionLabel: 'Scan',
            sectionChoices: [
              { id: 1, choiceValue: '', uploadImageList: { images: [{ img_path: PHOTO_PATHS.large }] } },
            ],
          },
        ],
      },
    },
  ]);
  const gateway = await startGateway(ctx, 'gateway-photo-stream', { keyPrefix: `${ctx.keyPrefix}-photo` });
  const agents = [];
  try {
    const flow = await expectOk(`${gateway.url}/v1/accounts/${account.id}/interactions/${INTERACTION}/flow`, {
      headers: AUTH,
    });
    const href = JSON.parse(flow.body.toString()).pages[0].photos[0].href;
    const through = { url: gateway.url + href, headers: AUTH };
    const direct = {
      url: ctx.simulator.url + restPhotoPath(account.id, INTERACTION, PHOTO_PATHS.large),
      headers: {
        'tenant-id': account.tenantId,
        'application-key': account.applicationKey,
        'environment-name': account.environmentName,
      },
    };
    for (const side of [direct, through]) {
      side.agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
      agents.push(side.agent);
    }
    // One download each way warms the code paths; a whole round would already raise the gateway's peak RSS.
    const expectedBytes = (await download(direct.url, direct)).bytes;
    const warm = await download(through.url, through);
    if (warm.status !== 200 || warm.bytes !== expectedBytes)
      throw new Error(`the gateway answered ${warm.status} with ${warm.bytes} of ${expectedBytes} bytes`);
    await sleep(500);
    const idle = memoryOf(gateway.pid);
    await simulatorReset(ctx.simulator.url);

    const pairs = [];
    let sampledPeak = 0;
    const turns = options.smoke ? 1 : TURNS;
    for (let turn = 0; turn < turns; turn += 1) {
      const directRound = await round(direct.url, direct, expectedBytes);
      const stopSampling = sampleRss(gateway.pid, RSS_SAMPLE_MS);
      const gatewayRound = await round(through.url, through, expectedBytes);
      sampledPeak = Math.max(sampledPeak, stopSampling());
      pairs.push({ directRound, gatewayRound, ratio: gatewayRound.mbPerSecond / directRound.mbPerSecond });
    }
    const after = memoryOf(gateway.pid);
    // VmHWM catches a peak between two samples; it moved only if the rounds passed the warm-up's peak.
    const peakRssBytes = after.peakRssBytes > idle.peakRssBytes ? after.peakRssBytes : sampledPeak;
    const growthMb = bytesToMb(peakRssBytes - idle.rssBytes);
    const photoCalls = (await simulatorStats(ctx.simulator.url)).photos.requests;
    const { directRound, gatewayRound } = [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor(pairs.length / 2)];

    const scenario = `Photo stream, ${CONCURRENCY} x ${bytesToMb(expectedBytes).toFixed(0)} MB`;
    const rows = [
      figure({
        scenario,
        name: 'peak RSS during the rounds (vs idle)',
        unit: 'MB',
        value: bytesToMb(peakRssBytes),
        baseline: bytesToMb(idle.rssBytes),
        showAdded: true,
        target: `added <= ${TARGET_RSS_GROWTH_MB} MB`,
        pass: growthMb <= TARGET_RSS_GROWTH_MB,
      }),
      figure({
        scenario,
        name: `throughput vs direct, median of ${turns}`,
        unit: 'MB/s',
        value: gatewayRound.mbPerSecond,
        baseline: directRound.mbPerSecond,
      }),
      figure({
        scenario,
        name: 'time to first byte vs direct, median',
        unit: 'ms',
        value: gatewayRound.ttfbMs,
        baseline: directRound.ttfbMs,
        showAdded: true,
      }),
    ];
    const incomplete = pairs.reduce(
      (total, pair) => total + pair.directRound.incomplete + pair.gatewayRound.incomplete,
      0,
    );
    // Each download through the gateway is a photo call of its own, and each direct one is one too.
    const expectedCalls = 2 * CONCURRENCY * turns;
    const problems = [
      ...(incomplete ? [`photo stream: ${incomplete} downloads were not the whole photo with 200`] : []),
      ...(photoCalls === expectedCalls ? [] : [`photo stream: ${photoCalls} photo calls, ${expectedCalls} expected`]),
    ];
    return {
      rows,
      problems,
      details: {
        photoBytes: expectedBytes,
        photoCalls,
        throughputRatiosByTurn: pairs.map((pair) => pair.ratio),
        turns: pairs.map(({ directRound: d, gatewayRound: g }) => ({ direct: d, gateway: g })),
        memory: { idle, after, sampledPeakRssBytes: sampledPeak },
      },
    };
  } finally {
    for (const agent of agents) agent.destroy();
    await stop(gateway.proc);
  }
}

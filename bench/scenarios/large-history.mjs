// Large history: big-5000 (5,000 pages) fetched through the gateway with the cache bypassed, over
// each transport, while a small stream of cache hits keeps arriving. What matters is that one huge
// history neither stalls everybody else (event-loop delay) nor blows the memory budget (peak RSS).
// Each transport gets a fresh gateway, so that its VmHWM (peak RSS since start) is its own.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  expectOk,
  keepAliveAgent,
  loadProblems,
  median,
  memoryOf,
  sampleRss,
  scrapeEventLoopDelay,
  startLoad,
} from '../lib/measure.mjs';
import { ACCOUNTS, AUTH, startGateway, stop } from '../lib/processes.mjs';
import { bytesToMb, figure } from '../lib/report.mjs';
import { directRequest } from '../lib/upstream.mjs';

const LARGE = 'big-5000';
const HIT_PATH = `/v1/accounts/${ACCOUNTS.rest.id}/interactions/040100713/flow`;
const TARGET_LOOP_P99_MS = 50;
const TARGET_PEAK_RSS_MB = 300;
const NO_CACHE = { ...AUTH, 'cache-control': 'no-cache' };

async function oneTransport(ctx, transport) {
  const { options } = ctx;
  const account = ACCOUNTS[transport];
  const gateway = await startGateway(ctx, `gateway-large-${transport}`, {
    keyPrefix: `${ctx.keyPrefix}-large-${transport}`,
  });
  // Whatever is still running when something fails, stopped before the gateway is.
  const running = new Set();
  const track = (stop) => {
    running.add(stop);
    return () => {
      running.delete(stop);
      return stop();
    };
  };
  try {
    const hitUrl = gateway.url + HIT_PATH;
    const largeUrl = `${gateway.url}/v1/accounts/${account.id}/interactions/${LARGE}/flow`;
    await expectOk(hitUrl, { headers: AUTH });
    // Builds the transport (for SOAP: the client from the WSDL) and warms its code on a 50-page
    // history, so that the first large request is not also the first request of its kind, and
    // without already pushing the peak RSS up before the baseline is read.
    for (let i = 0; i < 3; i += 1) {
      await expectOk(`${gateway.url}/v1/accounts/${account.id}/interactions/mid-0050/flow`, { headers: NO_CACHE });
    }
    const hitStream = () =>
      startLoad({ url: hitUrl, headers: AUTH, connections: 4, overallRate: options.hitStreamRate, duration: 3_600 });

    // Baseline window: the same side stream with nothing large going on.
    const stopQuietStream = track(hitStream().stop);
    await scrapeEventLoopDelay(gateway.adminUrl);
    await sleep(options.quietSeconds * 1_000);
    const quietLoop = await scrapeEventLoopDelay(gateway.adminUrl);
    const quietHits = await stopQuietStream();
    const before = memoryOf(gateway.pid);

    const stopLargeStream = track(hitStream().stop);
    const stopSampling = track(sampleRss(gateway.pid));
    await scrapeEventLoopDelay(gateway.adminUrl);
    const direct = directRequest(ctx.simulator.url, transport, LARGE);
    const agent = keepAliveAgent();
    const directTimes = [];
    const gatewayTimes = [];
    let largeBytes = 0;
    for (let i = 0; i < options.reps; i += 1) {
      const upstream = await expectOk(direct.url, { ...direct, agent });
      directTimes.push({ ttfbMs: upstream.ttfbMs, ttlbMs: upstream.ttlbMs });
      const through = await expectOk(largeUrl, { headers: NO_CACHE, agent });
      gatewayTimes.push({ ttfbMs: through.ttfbMs, ttlbMs: through.ttlbMs });
      largeBytes = through.body.length;
    }
    const largeLoop = await scrapeEventLoopDelay(gateway.adminUrl);
    const largeHits = await stopLargeStream();
    const maxSampledRss = stopSampling();
    const after = memoryOf(gateway.pid);
    agent.destroy();

    const scenario = `Large history, ${transport.toUpperCase()} ${LARGE}`;
    const reps = `median of ${options.reps}`;
    const of = (times, key) => median(times.map((t) => t[key]));
    const rows = [
      figure({
        scenario,
        name: `time to first byte, ${reps}`,
        unit: 'ms',
        value: of(gatewayTimes, 'ttfbMs'),
        baseline: of(directTimes, 'ttfbMs'),
        showAdded: true,
      }),
      figure({
        scenario,
        name: `time to last byte, ${reps}`,
        unit: 'ms',
        value: of(gatewayTimes, 'ttlbMs'),
        baseline: of(directTimes, 'ttlbMs'),
        showAdded: true,
      }),
      figure({
        scenario,
        name: 'event-loop delay p99 (vs quiet)',
        unit: 'ms',
        value: largeLoop?.p99Ms,
        baseline: quietLoop?.p99Ms,
        target: `<= ${TARGET_LOOP_P99_MS} ms`,
        pass: largeLoop ? largeLoop.p99Ms <= TARGET_LOOP_P99_MS : null,
      }),
      figure({
        scenario,
        name: 'event-loop delay max (vs quiet)',
        unit: 'ms',
        value: largeLoop?.maxMs,
        baseline: quietLoop?.maxMs,
      }),
      figure({
        scenario,
        name: 'peak RSS, VmHWM (vs before)',
        unit: 'MB',
        value: bytesToMb(after.peakRssBytes),
        baseline: bytesToMb(before.peakRssBytes),
        target: `<= ${TARGET_PEAK_RSS_MB} MB`,
        pass: bytesToMb(after.peakRssBytes) <= TARGET_PEAK_RSS_MB,
      }),
      figure({
        scenario,
        name: 'side cache-hit p99 (vs quiet)',
        unit: 'ms',
        value: largeHits.p99Ms,
        baseline: quietHits.p99Ms,
        showAdded: true,
      }),
    ];
    const problems = [
      ...loadProblems(`side cache-hit stream, ${transport}`, largeHits),
      ...(largeLoop
        ? []
        : [
            `${transport}: the gateway exposes no nodejs_eventloop_lag_p99_seconds at GET /metrics: event-loop delay not measured`,
          ]),
    ];
    return {
      rows,
      problems,
      details: {
        gatewayResponseBytes: largeBytes,
        direct: directTimes,
        gateway: gatewayTimes,
        eventLoop: { quiet: quietLoop, large: largeLoop },
        memory: { before, after, maxSampledRssBytes: maxSampledRss },
        sideStream: { quiet: quietHits, large: largeHits },
      },
    };
  } finally {
    await Promise.allSettled([...running].map((stopIt) => stopIt()));
    await stop(gateway.proc);
  }
}

export async function largeHistory(ctx) {
  const rows = [];
  const problems = [];
  const details = {};
  for (const transport of ['soap', 'rest']) {
    const result = await oneTransport(ctx, transport);
    rows.push(...result.rows);
    problems.push(...result.problems);
    details[transport] = result.details;
  }
  return { rows, problems, details };
}

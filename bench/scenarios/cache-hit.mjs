// Cache hit: the gateway serving a warm Redis entry, with everything a production request goes
// through (authentication, logging, metrics, every response header), against a raw node:http
// server sending the same bytes from the same Redis key. The two are loaded one after the other,
// never together: on two cores they would steal CPU from each other.
import { expectOk, load, loadAtRate, loadProblems, loadWithCpu, simulatorStats } from '../lib/measure.mjs';
import { ACCOUNTS, AUTH, flowCacheKey, startGateway, startRawBaseline, stop } from '../lib/processes.mjs';
import { figure } from '../lib/report.mjs';

const INTERACTION = '040100713';
const PATH = `/v1/accounts/${ACCOUNTS.rest.id}/interactions/${INTERACTION}/flow`;
const SCENARIO = 'Cache hit';

export async function cacheHit(ctx) {
  const { options } = ctx;
  const keyPrefix = `${ctx.keyPrefix}-hit`;
  let gateway;
  let raw;
  try {
    gateway = await startGateway(ctx, 'gateway-cache-hit', { keyPrefix });
    // The first request stores the entry; the second proves the gateway now answers from it.
    await expectOk(gateway.url + PATH, { headers: AUTH });
    const hit = await expectOk(gateway.url + PATH, { headers: AUTH });
    const cacheStatus = String(hit.headers['cache-status'] ?? '');
    if (!/;\s*hit\b/.test(cacheStatus))
      throw new Error(`the warm request was not a cache hit: Cache-Status "${cacheStatus}"`);

    raw = await startRawBaseline(ctx, await flowCacheKey(keyPrefix, ACCOUNTS.rest, INTERACTION));
    const rawAnswer = await expectOk(raw.url + PATH, { headers: AUTH });
    if (!rawAnswer.body.equals(hit.body)) throw new Error('the raw baseline does not send the bytes the gateway sends');

    const target = (server, extra = {}) => ({
      url: server.url + PATH,
      headers: AUTH,
      connections: options.connections,
      duration: options.duration,
      ...extra,
    });
    // Both servers get the same warm-up, so that neither is measured while its JIT is still cold.
    await load(target(raw, { duration: options.warmup }));
    await load(target(gateway, { duration: options.warmup }));

    const upstreamBefore = (await simulatorStats(ctx.simulator.url)).total;
    // On a shared virtual machine the floor itself swings by half from one run to the next: the two
    // are loaded in turns, and the pair whose ratio is the median is the one reported.
    const pairs = [];
    for (let round = 0; round < options.rounds; round += 1) {
      const rawRun = await loadWithCpu(raw.pid, target(raw));
      const gatewayRun = await loadWithCpu(gateway.pid, target(gateway));
      pairs.push({ rawRun, gatewayRun, ratio: gatewayRun.requestsPerSecond / rawRun.requestsPerSecond });
    }
    pairs.sort((a, b) => a.ratio - b.ratio);
    const { rawRun: rawMax, gatewayRun: gatewayMax } = pairs[Math.floor(pairs.length / 2)];
    // Half of what the floor can do: a load both should carry without queueing much.
    const halfRate = Math.max(1, Math.round(rawMax.requestsPerSecond / 2));
    const rawHalf = await loadAtRate({ ...target(raw), rate: halfRate });
    const gatewayHalf = await loadAtRate({ ...target(gateway), rate: halfRate });
    const upstreamCalls = (await simulatorStats(ctx.simulator.url)).total - upstreamBefore;

    const problems = [
      ...pairs.flatMap(({ rawRun, gatewayRun }) => [
        ...loadProblems('raw baseline, fixed concurrency', rawRun),
        ...loadProblems('gateway, fixed concurrency', gatewayRun),
      ]),
      ...loadProblems('raw baseline, half load', rawHalf),
      ...loadProblems('gateway, half load', gatewayHalf),
      ...[rawHalf, gatewayHalf]
        .filter((run) => run.requestsPerSecond < 0.95 * halfRate)
        .map(
          (run) =>
            `${run === rawHalf ? 'raw baseline' : 'gateway'} reached only ${Math.round(run.requestsPerSecond)} of the ${halfRate} req/s of the half load: its p99 there is that of saturation`,
        ),
      ...(upstreamCalls > 0 ? [`${upstreamCalls} upstream calls during the cache-hit runs (expected none)`] : []),
    ];

    const throughputRatio = gatewayMax.requestsPerSecond / rawMax.requestsPerSecond;
    const c = `c=${options.connections}`;
    const rate = `@ ${halfRate.toLocaleString('en-US')} req/s`;
    const rows = [
      figure({
        scenario: SCENARIO,
        name: `throughput, ${c}`,
        unit: 'req/s',
        value: gatewayMax.requestsPerSecond,
        baseline: rawMax.requestsPerSecond,
        target: '>= 0.70x baseline',
        pass: throughputRatio >= 0.7,
      }),
      figure({
        scenario: SCENARIO,
        name: `p50, ${c}`,
        unit: 'ms',
        value: gatewayMax.p50Ms,
        baseline: rawMax.p50Ms,
        showAdded: true,
      }),
      figure({
        scenario: SCENARIO,
        name: `p99, ${c}`,
        unit: 'ms',
        value: gatewayMax.p99Ms,
        baseline: rawMax.p99Ms,
        showAdded: true,
      }),
      figure({
        scenario: SCENARIO,
        name: `server CPU per request, ${c}`,
        unit: 'µs',
        value: gatewayMax.cpuUsPerRequest,
        baseline: rawMax.cpuUsPerRequest,
        showAdded: true,
      }),
      figure({
        scenario: SCENARIO,
        name: `throughput ${rate} (half baseline max)`,
        unit: 'req/s',
        value: gatewayHalf.requestsPerSecond,
        baseline: rawHalf.requestsPerSecond,
      }),
      figure({
        scenario: SCENARIO,
        name: `p99 ${rate}`,
        unit: 'ms',
        value: gatewayHalf.p99Ms,
        baseline: rawHalf.p99Ms,
        showAdded: true,
        target: '<= 2.00x baseline',
        pass: gatewayHalf.p99Ms <= 2 * rawHalf.p99Ms,
      }),
      figure({
        scenario: SCENARIO,
        name: `p50 ${rate}`,
        unit: 'ms',
        value: gatewayHalf.p50Ms,
        baseline: rawHalf.p50Ms,
        showAdded: true,
      }),
    ];
    return {
      rows,
      problems,
      details: {
        path: PATH,
        responseBytes: hit.body.length,
        gatewayResponseHeaders: Object.keys(hit.headers),
        halfRate,
        upstreamCallsDuringRuns: upstreamCalls,
        fixedConcurrencyRatios: pairs.map((pair) => pair.ratio),
        raw: { fixedConcurrency: rawMax, halfLoad: rawHalf },
        gateway: { fixedConcurrency: gatewayMax, halfLoad: gatewayHalf },
      },
    };
  } finally {
    await stop(raw?.proc);
    await stop(gateway?.proc);
  }
}

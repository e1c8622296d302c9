// Miss path: what the gateway adds to an upstream call when the cache is bypassed, for a 50-page
// history. One request at a time, so that the figures are latency, not queueing: the direct call
// to the simulator and the same lookup through the gateway (Cache-Control: no-cache) get the same
// warm-up and the same duration, in turns (as for the cache hit), and the pair whose added p50 is
// the median is the one reported: the virtual machine's speed drifts from minute to minute.
import { expectOk, load, loadProblems } from '../lib/measure.mjs';
import { ACCOUNTS, AUTH, startGateway, stop } from '../lib/processes.mjs';
import { figure } from '../lib/report.mjs';
import { directRequest } from '../lib/upstream.mjs';

const INTERACTION = 'mid-0050';
const TARGETS_P50_MS = { rest: 1, soap: 3 };

export async function missPath(ctx) {
  const { options } = ctx;
  let gateway;
  try {
    gateway = await startGateway(ctx, 'gateway-miss-path', { keyPrefix: `${ctx.keyPrefix}-miss` });
    const rows = [];
    const problems = [];
    const details = {};
    for (const transport of ['rest', 'soap']) {
      const account = ACCOUNTS[transport];
      const direct = { ...directRequest(ctx.simulator.url, transport, INTERACTION), connections: 1 };
      const through = {
        url: `${gateway.url}/v1/accounts/${account.id}/interactions/${INTERACTION}/flow`,
        headers: { ...AUTH, 'cache-control': 'no-cache' },
        connections: 1,
      };
      // Fail early and clearly if either side does not answer 200 (a wrong key, a missing client).
      await expectOk(direct.url, direct);
      const probe = await expectOk(through.url, through);
      await load({ ...direct, duration: options.warmup });
      await load({ ...through, duration: options.warmup });
      const pairs = [];
      for (let round = 0; round < options.rounds; round += 1) {
        const directRun = await load({ ...direct, duration: options.duration });
        const gatewayRun = await load({ ...through, duration: options.duration });
        problems.push(
          ...loadProblems(`direct ${transport}`, directRun),
          ...loadProblems(`gateway ${transport}, no-cache`, gatewayRun),
        );
        pairs.push({ directRun, gatewayRun, addedP50: gatewayRun.p50Ms - directRun.p50Ms });
      }
      pairs.sort((a, b) => a.addedP50 - b.addedP50);
      const { directRun, gatewayRun } = pairs[Math.floor(pairs.length / 2)];

      const scenario = `Miss path, ${transport.toUpperCase()} ${INTERACTION}, c=1`;
      const addedP50 = gatewayRun.p50Ms - directRun.p50Ms;
      rows.push(
        figure({
          scenario,
          name: 'p50 vs direct call',
          unit: 'ms',
          value: gatewayRun.p50Ms,
          baseline: directRun.p50Ms,
          showAdded: true,
          target: `added <= ${TARGETS_P50_MS[transport]} ms`,
          pass: addedP50 <= TARGETS_P50_MS[transport],
        }),
        figure({
          scenario,
          name: 'p99 vs direct call',
          unit: 'ms',
          value: gatewayRun.p99Ms,
          baseline: directRun.p99Ms,
          showAdded: true,
        }),
      );
      details[transport] = {
        cacheStatus: probe.headers['cache-status'] ?? null,
        gatewayResponseBytes: probe.body.length,
        addedP50MsByTurn: pairs.map((pair) => pair.addedP50),
        direct: directRun,
        gateway: gatewayRun,
      };
    }
    return { rows, problems, details };
  } finally {
    await stop(gateway?.proc);
  }
}

// Thundering herd: 500 concurrent requests for one cold key, half to each of two gateway processes
// sharing Redis. The simulator counts what reaches it: the gateways must make exactly one call.
// The simulator is slowed down for this scenario (a real Interact answers in hundreds of
// milliseconds, the simulator on loopback in one), so that every request of the herd arrives while
// the one upstream call is still in flight, which is the case single-flight exists for.
import { Agent } from 'node:http';
import {
  scrapeEventLoopDelay,
  scrapeMetric,
  simulatorFaults,
  simulatorReset,
  simulatorStats,
  timeRequest,
} from '../lib/measure.mjs';
import { ACCOUNTS, AUTH, startGateway, stop } from '../lib/processes.mjs';
import { figure } from '../lib/report.mjs';

const HERD = 500;
const GATEWAYS = 2;
const INTERACTION = 'mid-0050';

/** "interact-flow-gateway; fwd=miss; stored; ttl=300" -> "fwd=miss; stored" */
const cacheOutcome = (header) =>
  String(header ?? 'none')
    .split(';')
    .slice(1)
    .map((part) => part.trim())
    .filter((part) => !part.startsWith('ttl='))
    .join('; ') || 'none';

function countBy(values) {
  const counts = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

async function herd(ctx, gateways, transport) {
  const connectionsPerGateway = HERD / gateways.length;
  const agents = gateways.map(() => new Agent({ keepAlive: true, maxSockets: connectionsPerGateway }));
  try {
    // Opens all 500 connections first: the herd then leaves at once instead of queueing behind
    // 500 TCP handshakes, and no request is late enough to find the entry already stored.
    await Promise.all(
      gateways.flatMap((gateway, g) =>
        Array.from({ length: connectionsPerGateway }, () =>
          timeRequest(`${gateway.url}/problems/unauthorized`, { agent: agents[g] }),
        ),
      ),
    );
    await simulatorReset(ctx.simulator.url);
    await simulatorFaults(ctx.simulator.url, { [transport]: { latencyMs: ctx.options.herdUpstreamLatencyMs } });

    const path = `/v1/accounts/${ACCOUNTS[transport].id}/interactions/${INTERACTION}/flow`;
    await Promise.all(gateways.map((gateway) => scrapeEventLoopDelay(gateway.adminUrl)));
    const answers = await Promise.all(
      Array.from({ length: HERD }, (_, i) =>
        timeRequest(gateways[i % gateways.length].url + path, {
          headers: AUTH,
          agent: agents[i % gateways.length],
        }).catch((error) => ({ status: 'error', error: error.message, headers: {}, ttlbMs: NaN })),
      ),
    );
    const stats = await simulatorStats(ctx.simulator.url);
    // Which replica called, and how each answered: what to look at when the count is not 1.
    const replicas = await Promise.all(
      gateways.map(async (gateway, g) => ({
        gateway: gateway.name,
        // A replica whose Redis commands outlive REDIS_COMMAND_TIMEOUT_MS, often because its own
        // event loop is busy with the herd, treats the store as down and loads on its own.
        eventLoopDuringHerd: await scrapeEventLoopDelay(gateway.adminUrl),
        upstreamRequests: await scrapeMetric(gateway.adminUrl, 'interact_upstream_requests_total'),
        cacheStatus: countBy(
          answers.filter((_, i) => i % gateways.length === g).map((a) => cacheOutcome(a.headers['cache-status'])),
        ),
      })),
    );
    return {
      upstreamCalls: stats[transport].requests,
      replicas,
      statuses: countBy(answers.map((a) => a.status)),
      cacheStatus: countBy(answers.map((a) => cacheOutcome(a.headers['cache-status']))),
      slowestMs: Math.max(...answers.map((a) => a.ttlbMs).filter(Number.isFinite)),
      simulator: stats,
    };
  } finally {
    await simulatorReset(ctx.simulator.url);
    for (const agent of agents) agent.destroy();
  }
}

export async function thunderingHerd(ctx) {
  const keyPrefix = `${ctx.keyPrefix}-herd`;
  const gateways = [];
  try {
    for (let i = 1; i <= GATEWAYS; i += 1) gateways.push(await startGateway(ctx, `gateway-herd-${i}`, { keyPrefix }));
    const rows = [];
    const problems = [];
    const details = { upstreamLatencyMs: ctx.options.herdUpstreamLatencyMs };
    for (const transport of ['rest', 'soap']) {
      const result = await herd(ctx, gateways, transport);
      rows.push(
        figure({
          scenario: `Thundering herd, ${transport.toUpperCase()} ${INTERACTION}`,
          name: `upstream calls, ${HERD} requests / ${GATEWAYS} gateways`,
          unit: 'calls',
          value: result.upstreamCalls,
          baselineLabel: `${HERD} requests`,
          target: '= 1',
          pass: result.upstreamCalls === 1,
        }),
      );
      if (result.upstreamCalls !== 1) {
        for (const replica of result.replicas) {
          problems.push(
            `herd ${transport}: ${replica.gateway} answered ${JSON.stringify(replica.cacheStatus)}, ` +
              `upstream ${JSON.stringify(replica.upstreamRequests)}, event-loop delay max ${replica.eventLoopDuringHerd?.maxMs?.toFixed(0) ?? 'n/a'} ms`,
          );
        }
      }
      const failed = HERD - (result.statuses[200] ?? 0);
      if (failed > 0)
        problems.push(
          `herd ${transport}: ${failed} of ${HERD} answers were not 200: ${JSON.stringify(result.statuses)}`,
        );
      details[transport] = result;
    }
    return { rows, problems, details };
  } finally {
    await Promise.all(gateways.map((gateway) => stop(gateway.proc)));
  }
}

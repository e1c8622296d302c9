// Load generation and the measurements taken around it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { clearInterval, setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export const median = (values) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

function summarize(runs, extra) {
  const latencies = runs.flatMap((run) => run.latencies).sort((a, b) => a - b);
  const sum = (key) => runs.reduce((total, run) => total + run.result[key], 0);
  const statuses = {};
  for (const run of runs) {
    for (const [status, count] of Object.entries(run.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
  }
  return {
    ...extra,
    durationSeconds: Math.max(...runs.map((run) => run.result.duration)),
    // Staggered instances do not start and stop together: their rates add up, not their counts.
    requestsPerSecond: runs.reduce((total, run) => total + run.result['2xx'] / run.result.duration, 0),
    ok: sum('2xx'),
    non2xx: sum('non2xx'),
    statuses,
    errors: sum('errors'),
    timeouts: sum('timeouts'),
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? NaN,
  };
}

/**
 * One autocannon instance in this process, with a handle to stop it early. Latencies come from
 * autocannon's per-response events rather than its histogram: the histogram keeps whole
 * milliseconds (too coarse for sub-millisecond targets), and with a rate it "corrects" for
 * coordinated omission with a 1 ms expected interval whatever the rate, which skews percentiles.
 */
function startInstance({ url, method = 'GET', headers = {}, body, connections, duration, overallRate }) {
  const latencies = [];
  const statuses = {};
  let instance;
  const done = new Promise((resolve, reject) => {
    instance = autocannon(
      {
        url,
        method,
        headers,
        ...(body !== undefined && { body }),
        connections,
        duration,
        ...(overallRate && { overallRate }),
        timeout: 30,
      },
      (error, result) => (error ? reject(error) : resolve({ result, latencies, statuses })),
    );
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  return { done, stop: () => instance.stop() };
}

/** Closed-loop load at a fixed concurrency (or a low `overallRate`), stoppable before `duration`. */
export function startLoad(options) {
  const instance = startInstance(options);
  const done = instance.done.then((run) =>
    summarize([run], { connections: options.connections, overallRate: options.overallRate ?? null }),
  );
  return {
    done,
    stop() {
      instance.stop();
      return done;
    },
  };
}

export const load = (options) => startLoad(options).done;

/**
 * Load at a fixed request rate. autocannon paces `overallRate` per connection and per second:
 * every connection sends its quota back to back as each second starts, then idles, all in step.
 * One instance at half the maximum rate thus measures bursts at full concurrency rather than a
 * half load (on this machine its baseline p50 was 8x that of the spread-out load below). The rate
 * is therefore split over `slices` instances of a few connections each, started 1/slices s apart,
 * which brings the arrivals close to a steady rate; the total rate and connections are unchanged.
 */
export async function loadAtRate({ rate, connections, slices = 8, ...options }) {
  const count = Math.max(1, Math.min(slices, connections, rate));
  const share = (total, i) => Math.floor(total / count) + (i < total % count ? 1 : 0);
  const runs = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      await sleep((i * 1_000) / count);
      return startInstance({ ...options, connections: share(connections, i), overallRate: share(rate, i) }).done;
    }),
  );
  return summarize(runs, { connections, overallRate: rate, slices: count });
}

/** A load result that is not all 2xx measured something else (an error page, a 429): say so. */
export function loadProblems(name, result) {
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad === 0) return [];
  return [
    `${name}: ${result.non2xx} non-2xx (${JSON.stringify(result.statuses)}), ${result.errors} errors, ${result.timeouts} timeouts`,
  ];
}

/** One request timed to its first byte (the status line and headers) and its last byte. */
export function timeRequest(url, { method = 'GET', headers = {}, body, agent } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { method, headers, agent }, (response) => {
      const ttfbMs = performance.now() - started;
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        resolve({
          status: response.statusCode,
          headers: response.headers,
          body: Buffer.concat(chunks),
          ttfbMs,
          ttlbMs: performance.now() - started,
        });
      });
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`no answer from ${url} within 60 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

export const keepAliveAgent = (maxSockets = 8) => new Agent({ keepAlive: true, maxSockets });

/** A single request that must answer 2xx; its status and headers are how scenarios check their setup. */
export async function expectOk(url, options = {}) {
  const answer = await timeRequest(url, options);
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(
      `${options.method ?? 'GET'} ${url} answered ${answer.status}: ${answer.body.toString().slice(0, 300)}`,
    );
  }
  return answer;
}

async function metricsText(adminUrl) {
  try {
    const response = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
    const text = await response.text();
    return response.status === 200 ? text : null;
  } catch {
    return null;
  }
}

/** The samples of one metric in Prometheus text format, as {'{labels}': value}. */
function samplesOf(text, name) {
  const samples = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name} `) && !line.startsWith(`${name}{`)) continue;
    const value = line.lastIndexOf(' ');
    samples[line.slice(name.length, value).trim() || '{}'] = Number(line.slice(value + 1));
  }
  return samples;
}

/** One metric of a gateway's GET /metrics; null when the build has no such endpoint. */
export async function scrapeMetric(adminUrl, name) {
  const text = await metricsText(adminUrl);
  return text === null ? null : samplesOf(text, name);
}

/**
 * The gateway's event-loop delay from its Prometheus endpoint (prom-client's monitorEventLoopDelay
 * histogram). prom-client resets that histogram at each scrape, so a scrape before a window and one
 * after it give the figures of exactly that window. Null when the build exposes no such metric.
 */
export async function scrapeEventLoopDelay(adminUrl) {
  const text = await metricsText(adminUrl);
  if (text === null) return null;
  const gaugeMs = (name) => {
    const value = Object.values(samplesOf(text, name))[0];
    return value === undefined ? null : value * 1_000;
  };
  const p99Ms = gaugeMs('nodejs_eventloop_lag_p99_seconds');
  if (p99Ms === null) return null;
  return {
    p99Ms,
    maxMs: gaugeMs('nodejs_eventloop_lag_max_seconds'),
    p50Ms: gaugeMs('nodejs_eventloop_lag_p50_seconds'),
  };
}

/** Current and peak resident set size of a process, from the kernel's own accounting. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssBytes: kb('VmRSS') * 1024, peakRssBytes: kb('VmHWM') * 1024 };
}

/** Samples VmRSS until stopped, which returns the largest sample: VmHWM gives the peak, this shows when it was. */
export function sampleRss(pid, everyMs = 50) {
  const samples = [];
  const timer = setInterval(() => {
    try {
      samples.push(memoryOf(pid).rssBytes);
    } catch {
      clearInterval(timer); // The process is gone; whoever stopped it reports why.
    }
  }, everyMs);
  return () => {
    clearInterval(timer);
    return samples.length ? Math.max(...samples) : NaN;
  };
}

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system) a process has used so far, in milliseconds. */
export function cpuTimeOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000) / CLOCK_TICKS_PER_SECOND;
}

/** A load run on one server, with the CPU that server spent per answered request. */
export async function loadWithCpu(pid, options) {
  const before = cpuTimeOf(pid);
  const result = await load(options);
  const cpuMs = cpuTimeOf(pid) - before;
  return { ...result, cpuMs, cpuUsPerRequest: (cpuMs * 1_000) / Math.max(1, result.ok + result.non2xx) };
}

export async function simulatorStats(simulatorUrl) {
  const response = await fetch(`${simulatorUrl}/__simulator/stats`);
  return response.json();
}

export async function simulatorReset(simulatorUrl) {
  const response = await fetch(`${simulatorUrl}/__simulator/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`simulator reset answered ${response.status}`);
}

/** Has the simulator serve `pages` as the history of `uniqueId`, on both transports. */
export async function simulatorSeedHistory(simulatorUrl, uniqueId, pages) {
  const response = await fetch(`${simulatorUrl}/__simulator/histories/${encodeURIComponent(uniqueId)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(pages),
  });
  if (!response.ok)
    throw new Error(`simulator history ${uniqueId} answered ${response.status}: ${await response.text()}`);
}

export async function simulatorFaults(simulatorUrl, faults) {
  const response = await fetch(`${simulatorUrl}/__simulator/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!response.ok) throw new Error(`simulator faults answered ${response.status}: ${await response.text()}`);
}

import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { buildInfo } from './build-info.js';

/**
 * prom-client's gauges of the same counts as its per-type nodejs_active_handles, _requests and
 * _resources: their names end in _total, which promtool rejects for anything but a counter, and
 * each scrape would walk the handles twice. A sum over `type` gives them back.
 */
const DEFAULT_METRICS_LEFT_OUT = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** What a call to Interact, a refusal or a cache read was for: a bounded label, two values. */
export type Operation = 'flow' | 'photo';

/** How the cache answered a read: served fresh, went upstream, served stale, or was not consulted. */
export type CacheResult = 'hit' | 'miss' | 'stale' | 'bypass';

export const CIRCUIT_STATE_VALUES = { closed: 0, open: 1, halfOpen: 2, isolated: 3 } as const;

/** One registry per application, so that several gateways in one process (tests) never share series. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP requests served by the gateway.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly upstreamRequests = new Counter({
    name: 'interact_upstream_requests_total',
    help: 'Calls made to Interact, each attempt counted, by operation (flow, photo) and outcome.',
    labelNames: ['account', 'transport', 'operation', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly upstreamRequestDuration = new Histogram({
    name: 'interact_upstream_request_duration_seconds',
    help: 'Duration of calls made to Interact, each attempt measured, by operation (flow, photo) and outcome: a flow until its answer is read, a photo until what is cached is read or its streaming begins.',
    labelNames: ['account', 'transport', 'operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly refusals = new Counter({
    name: 'interact_refusals_total',
    help: 'Calls to Interact refused with a 503 unless a stale copy answered, by operation (flow, photo) and reason: circuit_open, bulkhead_full and client_share_full (Interact not asked), render_queue_full (flows only: Interact answered; the gateway was too busy to read it).',
    labelNames: ['account', 'operation', 'reason'] as const,
    registers: [this.registry],
  });

  readonly payloadUnknown = new Counter({
    name: 'interact_payload_unknown_total',
    help: 'Histories read from Interact that carried a field the gateway does not know, by field path without list indexes (at most 50 per account, then "_other").',
    labelNames: ['account', 'transport', 'field'] as const,
    registers: [this.registry],
  });

  readonly cacheRequests = new Counter({
    name: 'interact_cache_requests_total',
    help: 'Flow and photo requests by how the cache answered: hit, miss (a photo too large to cache included), stale or bypass.',
    labelNames: ['operation', 'result'] as const,
    registers: [this.registry],
  });

  readonly circuitState = new Gauge({
    name: 'interact_circuit_state',
    help: 'Circuit breaker state per account and transport: 0 closed, 1 open, 2 half-open, 3 isolated.',
    labelNames: ['account', 'transport'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    for (const name of DEFAULT_METRICS_LEFT_OUT) this.registry.removeSingleMetric(name);
    const build = buildInfo();
    new Gauge({
      name: 'interact_flow_gateway_build_info',
      help: 'Always 1: what runs, by its labels (the version, the commit built, "unknown" when the build could not tell, and the Node.js version).',
      labelNames: ['version', 'commit', 'nodejs_version'] as const,
      registers: [this.registry],
    }).set({ version: build.version, commit: build.commit, nodejs_version: build.nodejsVersion }, 1);
  }
}

import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_FLUSH_TIMEOUT_MS } from '../apps/gateway/src/process-exit.js';
import { GatewayProcess } from './support/gateway-process.js';
import { TEST_API_KEY } from './support/gateway.js';
import { DEMO_IDS, startSimulator, type RunningSimulator } from './support/simulator.js';
import { flowPath } from './support/paths.js';

/** A stand-in OTLP/HTTP collector: it keeps the bodies of the trace exports it receives. */
let collector: Server;
let collectorUrl: string;
const exports: Buffer[] = [];

let simulator: RunningSimulator;
let gateway: GatewayProcess;

beforeAll(async () => {
  simulator = await startSimulator();
  collector = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      exports.push(Buffer.concat(chunks));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => collector.close(resolve));
  await simulator.close();
});
afterEach(() => gateway?.stop());

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('tracing', () => {
  it.each([
    ['REST', '12345678', 'rest'],
    ['SOAP', '12345679', 'soap'],
  ] as const)(
    'propagates the caller’s W3C trace to upstream over %s, never its baggage, and exports spans',
    async (_name, account, transport) => {
      gateway = new GatewayProcess();
      await gateway.start(simulator, {
        OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_SERVICE_NAME: 'gateway-under-test',
      });
      await simulator.reset();
      const response = await gateway.fetch(flowPath(account, DEMO_IDS.claim), {
        headers: {
          authorization: `Bearer ${TEST_API_KEY}`,
          traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`,
          baggage: 'user=alice,tenant=internal',
        },
      });
      expect(response.status).toBe(200);
      const stats = (await simulator.stats())[transport];
      // A caller's baggage is its own business, not Interact's.
      expect(stats.baggage).toBeNull();
      const [upstream] = stats.traceparents;
      // Same trace, a new parent span (the gateway's own client span), sampled.
      expect(upstream).toMatch(new RegExp(`^00-${TRACE_ID}-(?!00f067aa0ba902b7)[0-9a-f]{16}-01$`));
      for (let attempt = 0; attempt < 50 && !Buffer.concat(exports).includes('gateway-under-test'); attempt += 1)
        await sleep(100);
      expect(Buffer.concat(exports).toString('latin1')).toContain('gateway-under-test');
    },
  );

  it('names the trace and the span of each request in its log line, on both paths of a request', async () => {
    gateway = new GatewayProcess();
    await gateway.start(simulator, { OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl });
    const ask = (requestId: string) =>
      gateway.fetch(flowPath('12345678', DEMO_IDS.claim), {
        headers: {
          authorization: `Bearer ${TEST_API_KEY}`,
          traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`,
          'x-request-id': requestId,
        },
      });
    expect((await ask('nest-path')).headers.get('cache-status')).toMatch(/fwd=miss/);
    expect((await ask('hook-path')).headers.get('cache-status')).toMatch(/; hit; /);
    const lineOf = async (requestId: string) => {
      for (let attempt = 0; attempt < 50; attempt += 1) {
        const line = gateway
          .logLines()
          .find((entry) => entry.msg === 'request completed' && entry.requestId === requestId);
        if (line) return line;
        await sleep(50);
      }
      throw new Error(`no request line for ${requestId}:\n${gateway.output.join('\n')}`);
    };
    const spans = new Set<unknown>();
    for (const requestId of ['nest-path', 'hook-path']) {
      const line = await lineOf(requestId);
      // The caller's trace; the gateway's own server span, a child of the caller's.
      expect(line).toMatchObject({
        traceId: TRACE_ID,
        spanId: expect.stringMatching(/^(?!00f067aa0ba902b7)[0-9a-f]{16}$/),
      });
      spans.add(line.spanId);
    }
    expect(spans.size).toBe(2);
  });

  describe('on the way out', () => {
    beforeEach(() => simulator.reset());

    /**
     * A gateway whose spans leave only when flushed, holding those of one finished request, with a
     * second request held by upstream so that its drain cannot end by itself.
     */
    async function gatewayHoldingSpans(service: string, env: Record<string, string>) {
      gateway = new GatewayProcess();
      await gateway.start(simulator, {
        OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
        OTEL_BSP_SCHEDULE_DELAY: '600000',
        OTEL_SERVICE_NAME: service,
        ...env,
      });
      const path = `${gateway.url}${flowPath('12345678', DEMO_IDS.claim)}`;
      const headers = { authorization: `Bearer ${TEST_API_KEY}`, 'cache-control': 'no-cache' };
      expect((await fetch(path, { headers })).status).toBe(200);
      await simulator.setFaults({ rest: { latencyMs: 10_000 } });
      void fetch(path, { headers }).catch(() => undefined);
      while ((await simulator.stats()).total < 2) await sleep(10);
      expect(Buffer.concat(exports).includes(service)).toBe(false);
    }

    it('exports the spans it holds when a drain runs out of time', async () => {
      const service = `gateway-deadline-${randomUUID()}`;
      await gatewayHoldingSpans(service, { SHUTDOWN_GRACE_SECONDS: '1' });
      gateway.signal('SIGTERM');
      expect(await gateway.exited()).toBe(1);
      expect(Buffer.concat(exports).includes(service)).toBe(true);
    });

    it('exports the spans it holds when a second signal cuts a drain short', async () => {
      const service = `gateway-second-signal-${randomUUID()}`;
      await gatewayHoldingSpans(service, { SHUTDOWN_GRACE_SECONDS: '30' });
      gateway.signal('SIGTERM');
      await gateway.logged('SIGTERM received; draining for up to 30000 ms');
      gateway.signal('SIGTERM');
      expect(await gateway.exited()).toBe(143);
      expect(Buffer.concat(exports).includes(service)).toBe(true);
    });

    it('gives a collector that does not answer a few seconds, not the exporter’s own timeout', async () => {
      let asked = 0;
      const silent = createServer(() => void (asked += 1));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        gateway = new GatewayProcess();
        await gateway.start(simulator, {
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
          OTEL_BSP_SCHEDULE_DELAY: '600000',
        });
        const response = await gateway.fetch(flowPath('12345678', DEMO_IDS.claim), {
          headers: { authorization: `Bearer ${TEST_API_KEY}` },
        });
        expect(response.status).toBe(200);
        const signalled = performance.now();
        gateway.signal('SIGTERM');
        expect(await gateway.exited()).toBe(0);
        // The exporter alone would wait 10 s (OTEL_EXPORTER_OTLP_TIMEOUT) for an answer.
        expect(performance.now() - signalled).toBeLessThan(EXIT_FLUSH_TIMEOUT_MS + 2_000);
        expect(asked).toBeGreaterThan(0);
      } finally {
        silent.closeAllConnections();
        await new Promise((resolve) => silent.close(resolve));
      }
    });
  });

  it('sends no traceparent upstream when tracing is off', async () => {
    gateway = new GatewayProcess();
    await gateway.start(simulator);
    await simulator.reset();
    await gateway.fetch(flowPath('12345678', DEMO_IDS.claim), {
      headers: { authorization: `Bearer ${TEST_API_KEY}`, traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` },
    });
    expect((await simulator.stats()).rest.traceparents).toEqual([]);
  });
});

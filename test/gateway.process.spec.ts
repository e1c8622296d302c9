import { Agent as HttpAgent, get, type IncomingMessage } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, Client, request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_API_KEY } from './support/gateway.js';
import { GatewayProcess } from './support/gateway-process.js';
import { DEMO_ACCOUNTS, DEMO_IDS, startSimulator, type RunningSimulator } from './support/simulator.js';
import { flowPath } from './support/paths.js';

let simulator: RunningSimulator;
let gateway: GatewayProcess;

beforeAll(async () => {
  simulator = await startSimulator();
});
afterAll(() => simulator.close());
beforeEach(async () => {
  await simulator.reset();
  gateway = new GatewayProcess();
});
afterEach(() => gateway.stop());

describe('the gateway process', () => {
  it('loses no in-flight request on SIGTERM, then exits cleanly', async () => {
    await gateway.start(simulator, { SHUTDOWN_GRACE_SECONDS: '10' });
    await simulator.setFaults({ rest: { latencyMs: 600 }, soap: { latencyMs: 600 } });
    const agent = new Agent({ keepAliveTimeout: 10_000, connections: 50 });
    // Two of them are histories large enough to be read on the worker pool; the others are not found
    // upstream. Each its own key: requests for one key would share one call.
    const ids = [DEMO_IDS.big, DEMO_IDS.big, ...Array.from({ length: 38 }, (_, i) => `unknown-${i}`)];
    const inFlight = ids.map((id, i) =>
      request(`${gateway.url}${flowPath(DEMO_ACCOUNTS[i % 2].accountId, id)}`, {
        dispatcher: agent,
        headers: { 'cache-control': 'no-cache', authorization: `Bearer ${TEST_API_KEY}` },
      }).then(async (response) => ({
        status: response.statusCode,
        body: (await response.body.json()) as { pages: unknown[] },
      })),
    );
    // Let every request reach upstream, then ask the gateway to stop while they wait on it. A fixed
    // pause lost that race on a loaded machine: requests still in the listen backlog were reset.
    while ((await simulator.stats()).total < ids.length) await sleep(10);
    gateway.signal('SIGTERM');
    const answers = await Promise.all(inFlight);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, ...Array<number>(38).fill(404)]);
    expect(answers.slice(0, 2).map((answer) => answer.body.pages.length)).toEqual([5000, 5000]);
    expect(await gateway.exited()).toBe(0);
    for (const url of [gateway.url, gateway.adminUrl]) await expect(fetch(`${url}/health/live`)).rejects.toThrow();
    const messages = gateway.logLines().map((line) => line.msg);
    expect(messages).toContain('SIGTERM received; draining for up to 10000 ms');
    expect(messages).toContain('drained; exiting');
    await agent.close();
  });

  it('keeps listening with readiness failing for DRAIN_LISTEN_SECONDS, closing keep-alive connections with their answers', async () => {
    await gateway.start(simulator, { SHUTDOWN_GRACE_SECONDS: '10', DRAIN_LISTEN_SECONDS: '2' });
    const path = flowPath(DEMO_ACCOUNTS[0].accountId, DEMO_IDS.claim);
    const headers = { authorization: `Bearer ${TEST_API_KEY}` };
    expect((await gateway.fetch(path, { headers })).status).toBe(200);
    // Twenty keep-alive clients, a connection each, asking as fast as they are answered. Each stops
    // at the answer that closes its connection, as a client then goes to another replica.
    const clients = Array.from({ length: 20 }, () => new Client(gateway.url, { keepAliveTimeout: 30_000 }));
    const answers = clients.map(() => [] as Array<{ status: number; connection: unknown }>);
    const failures: unknown[] = [];
    let signalled = false;
    const load = clients.map(async (client, index) => {
      for (;;) {
        const response = await client.request({ path, method: 'GET', headers });
        await response.body.dump();
        answers[index].push({ status: response.statusCode, connection: response.headers.connection });
        if (signalled && response.headers.connection === 'close') return;
      }
    });
    const loaded = Promise.all(load).catch((error: unknown) => void failures.push(error));
    while (answers.some((list) => list.length < 3)) await sleep(10);
    const readiness: Array<{ status: number; body: string }> = [];
    const probed = (async () => {
      // A new connection per probe, as the kubelet makes.
      for (;;) {
        try {
          const response = await request(`${gateway.adminUrl}/health/ready`, { reset: true });
          readiness.push({ status: response.statusCode, body: await response.body.text() });
        } catch (error) {
          return (error as { code?: string }).code;
        }
        await sleep(100);
      }
    })();
    gateway.signal('SIGTERM');
    signalled = true;
    await loaded;
    expect(failures).toEqual([]);
    for (const list of answers) {
      expect(list.every(({ status }) => status === 200)).toBe(true);
      expect(list.at(-1)?.connection).toBe('close');
    }
    // Until the admin port closes, after the API's, probes see readiness fail; then they are refused
    // (one that races the closing itself may be reset instead).
    expect(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']).toContain(await probed);
    const draining = readiness.filter(({ status }) => status === 503);
    expect(draining.length).toBeGreaterThanOrEqual(5);
    expect(draining[0].body).toContain('shutting-down');
    expect(await gateway.exited()).toBe(0);
    expect(gateway.logLines().map((line) => line.msg)).toContain(
      'still answering, with readiness failing, for 2000 ms before closing the port',
    );
    await Promise.all(clients.map((client) => client.close()));
  });

  it('drains past a connection that never sends a request', async () => {
    await gateway.start(simulator, { SHUTDOWN_GRACE_SECONDS: '10', DRAIN_LISTEN_SECONDS: '1' });
    // As a preconnecting proxy or a TCP probe leaves one: Node's server.close() waits for it forever.
    const silent = connect(Number(new URL(gateway.url).port), '127.0.0.1');
    const closedByGateway = new Promise<void>((resolve) => silent.once('close', () => resolve()));
    await new Promise((resolve) => silent.once('connect', resolve));
    await sleep(100);
    const signalled = performance.now();
    gateway.signal('SIGTERM');
    expect(await gateway.exited()).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(5_000);
    expect(gateway.logLines().map((line) => line.msg)).toContain('drained; exiting');
    await closedByGateway;
  });

  it('ends a drain once its last answer is written, closing the keep-alive connections a browser and a scraper leave', async () => {
    await gateway.start(simulator, { SHUTDOWN_GRACE_SECONDS: '10', DRAIN_LISTEN_SECONDS: '0' });
    const headers = { authorization: `Bearer ${TEST_API_KEY}` };
    const ask = (url: string, agent: HttpAgent) =>
      new Promise<IncomingMessage>((resolve, reject) => get(url, { agent, headers }, resolve).on('error', reject));
    const read = async (answer: IncomingMessage) => {
      let bytes = 0;
      for await (const chunk of answer) bytes += (chunk as Buffer).length;
      return { status: answer.statusCode, bytes };
    };
    // What a browser keeps after a Swagger UI session: keep-alive connections, each of which made a
    // request (asked together, each on its own connection), now idle.
    const browser = new HttpAgent({ keepAlive: true });
    const flow = flowPath(DEMO_ACCOUNTS[0].accountId, DEMO_IDS.claim);
    const pages = ['/docs', '/docs/swagger-ui.css', '/docs/swagger-ui-init.js', '/docs/openapi.json', flow];
    const visited = await Promise.all(pages.map(async (path) => read(await ask(`${gateway.url}${path}`, browser))));
    expect(visited.map(({ status }) => status)).toEqual([200, 200, 200, 200, 200]);
    // Prometheus keeps its scrape connection open too.
    const scraper = new HttpAgent({ keepAlive: true });
    expect((await read(await ask(`${gateway.adminUrl}/metrics`, scraper))).status).toBe(200);
    // And a file the browser is still reading, over a slow link, when the port closes: its headers
    // said keep-alive before the drain began.
    const slow = await ask(`${gateway.url}/docs/swagger-ui-bundle.js`, new HttpAgent({ keepAlive: true }));
    slow.pause();
    gateway.signal('SIGTERM');
    // The port closes with that answer still being written: new connections are refused.
    const apiPort = Number(new URL(gateway.url).port);
    const accepts = () =>
      new Promise<boolean>((resolve) => {
        const probe = connect(apiPort, '127.0.0.1');
        probe.once('connect', () => resolve(true)).once('error', () => resolve(false));
        probe.once('connect', () => probe.destroy());
      });
    while (await accepts()) await sleep(20);
    // The request in flight completes whole.
    expect(await read(slow)).toEqual({ status: 200, bytes: Number(slow.headers['content-length']) });
    const written = performance.now();
    expect(await gateway.exited()).toBe(0);
    // Not the grace period: nothing is left to wait for once the answer is written.
    expect(performance.now() - written).toBeLessThan(3_000);
    const messages = gateway.logLines().map(({ msg }) => String(msg));
    // What the drain waited for, named when it closed the port.
    expect(messages.filter((msg) => msg.startsWith('closing the port with '))).toEqual([
      expect.stringMatching(
        /^closing the port with 1 request in flight \(GET \/docs\/swagger-ui-bundle\.js on the API port\) and \d+ connections open$/,
      ),
    ]);
    expect(messages).toContain('drained; exiting');
    browser.destroy();
    scraper.destroy();
  });

  it.each([
    ['SIGTERM', 'SIGTERM'],
    ['SIGTERM', 'SIGINT'],
  ] as const)('exits at once on a %s then a %s during a drain, and says so', async (first, second) => {
    await gateway.start(simulator, { SHUTDOWN_GRACE_SECONDS: '30' });
    await simulator.setFaults({ rest: { latencyMs: 10_000 } });
    // Held by upstream for longer than the test: the drain cannot end by itself.
    const held = fetch(`${gateway.url}${flowPath(DEMO_ACCOUNTS[0].accountId, DEMO_IDS.claim)}`, {
      headers: { authorization: `Bearer ${TEST_API_KEY}` },
    }).catch((error: unknown) => error);
    while ((await simulator.stats()).total < 1) await sleep(10);
    gateway.signal(first);
    await gateway.logged(`${first} received; draining for up to 30000 ms`);
    const secondSent = performance.now();
    gateway.signal(second);
    // The status a shell reports for a process the signal killed.
    expect(await gateway.exited()).toBe(128 + constants.signals[second]);
    expect(performance.now() - secondSent).toBeLessThan(2_000);
    expect(gateway.logLines().map((line) => line.msg)).toContain(
      `${second} received while draining; exiting without waiting for requests in flight`,
    );
    expect(await held).toBeInstanceOf(Error);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('on a %s during start-up, exits at once with status %i and never listens', async (signal, status) => {
    // A Redis that accepts and never answers: start-up waits 3 s for it before listening, and its
    // connection shows the process is that far into start-up. No sleep has to guess when that is.
    const sockets = new Set<Socket>();
    let reached: () => void = () => undefined;
    const connected = new Promise<void>((resolve) => (reached = resolve));
    const silentRedis = createServer((socket) => {
      sockets.add(socket);
      reached();
    });
    await new Promise<void>((resolve) => silentRedis.listen(0, '127.0.0.1', resolve));
    try {
      await gateway.launch(simulator, {
        REDIS_URL: `redis://127.0.0.1:${(silentRedis.address() as AddressInfo).port}`,
      });
      await Promise.race([
        connected,
        gateway.exited().then(() => {
          throw new Error(`the gateway exited before it reached Redis:\n${gateway.output.join('\n')}`);
        }),
      ]);
      const signalled = performance.now();
      gateway.signal(signal);
      expect(await gateway.exited()).toBe(status);
      // Start-up alone still had most of the Redis wait to go; a stop's grace period is far longer.
      expect(performance.now() - signalled).toBeLessThan(2_000);
      expect(gateway.errorOutput).toContain(`${signal} received during start-up; exiting`);
      expect(gateway.output.join('\n')).not.toContain('listening on');
      for (const url of [gateway.url, gateway.adminUrl]) await expect(fetch(`${url}/health/live`)).rejects.toThrow();
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silentRedis.close(resolve));
    }
  });

  it("keeps application keys out of the soap package's debug output", async () => {
    await gateway.start(simulator, { DEBUG: 'node-soap' });
    const soapAccount = DEMO_ACCOUNTS[1];
    const response = await gateway.fetch(flowPath(soapAccount.accountId, DEMO_IDS.claim), {
      headers: { authorization: `Bearer ${TEST_API_KEY}` },
    });
    expect(response.status).toBe(200);
    const output = gateway.output.join('\n');
    // The package did describe the call it built, headers included.
    expect(output).toMatch(/node-soap Http request: .*GetInteractionFullFlowByUUID/);
    expect(output).not.toContain(soapAccount.applicationKey);
  });

  it('logs as JSON with request ids, and never shows a secret in logs, problems or metrics', async () => {
    const canaryApplicationKey = 'canary-application-key-7c6b5a';
    const canaryApiKey = 'canary-api-key-3e2d1c';
    await gateway.start(
      simulator,
      {
        INTERACT_APPLICATION_KEY_12345678: canaryApplicationKey,
        INTERACT_APPLICATION_KEY_12345679: canaryApplicationKey,
      },
      canaryApiKey,
    );
    for (const account of ['12345678', '12345679']) {
      const response = await gateway.fetch(flowPath(account, DEMO_IDS.claim), {
        headers: {
          authorization: `Bearer ${canaryApiKey}`,
          'application-key': canaryApplicationKey,
          'x-request-id': `secret-test-${account}`,
        },
      });
      // The simulator rejects the canary application key: the gateway's own credentials are wrong.
      expect(response.status).toBe(502);
      expect(await response.text()).not.toContain(canaryApplicationKey);
    }
    const wrongKey = await gateway.fetch(flowPath('12345678', DEMO_IDS.claim), {
      headers: { authorization: 'Bearer canary-wrong-api-key-55aa' },
    });
    expect(wrongKey.status).toBe(401);
    expect(await wrongKey.text()).not.toContain('canary-wrong-api-key-55aa');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const metrics = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
    expect(metrics).toContain(
      'interact_upstream_requests_total{account="12345678",transport="rest",operation="flow",outcome="unauthorized"} 1',
    );
    const all = [...gateway.output, metrics].join('\n');
    for (const secret of [canaryApplicationKey, canaryApiKey, 'canary-wrong-api-key-55aa'])
      expect(all).not.toContain(secret);
    const lines = gateway.logLines();
    expect(lines.length).toBe(gateway.output.length);
    for (const account of ['12345678', '12345679']) {
      const reason = account === '12345678' ? 'upstream answered 401' : 'upstream fault 0x7000000';
      const appLine = lines.find(
        (line) => line.msg === `Interact rejected the credentials of account ${account}: ${reason}`,
      );
      expect(appLine).toMatchObject({ requestId: `secret-test-${account}`, context: 'Flow', level: 'error' });
      const requestLine = lines.find(
        (line) => line.msg === 'request completed' && line.requestId === `secret-test-${account}`,
      );
      expect(requestLine).toMatchObject({ status: 502, account });
    }
  });

  it('exits with status 1 and one JSON line, no stack trace, when its port is taken', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as AddressInfo;
    try {
      await gateway.launch(simulator, { PORT: String(port) });
      expect(await gateway.exited()).toBe(1);
      // Every line is JSON: a stack trace would not be.
      expect(gateway.logLines()).toHaveLength(gateway.output.length);
      expect(gateway.logLines().filter((line) => line.level === 'error')).toEqual([
        expect.objectContaining({ msg: `Error: listen EADDRINUSE: address already in use 127.0.0.1:${port}` }),
      ]);
      expect(gateway.output.join('\n')).not.toContain('listening on');
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('stops at start-up with a message naming a bad setting', async () => {
    await expect(gateway.start(simulator, { LOG_LEVEL: 'chatty' })).rejects.toThrow(
      /Configuration error: LOG_LEVEL must be one of/,
    );
  });
});

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenAPIObject } from '@nestjs/swagger';
import { contractOf, keptFetch } from './support/contract.js';

/** Runs the README's demo from dist/ (npm test builds it first), on ports of its own. */

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Demo {
  process: ChildProcess;
  /** stdout and stderr together, as a terminal shows them. */
  output: () => string;
  exited: Promise<number | null>;
}

function startDemo(gatewayPort: number, simulatorPort: number, adminPort: number): Demo {
  // A group of its own, as a terminal gives it: Ctrl-C is then a SIGINT to the whole group.
  const child = spawn(process.execPath, ['scripts/demo.mjs'], {
    env: {
      ...process.env,
      PORT: String(gatewayPort),
      SIMULATOR_PORT: String(simulatorPort),
      ADMIN_PORT: String(adminPort),
    },
    detached: true,
  });
  let output = '';
  const collect = (chunk: Buffer) => void (output += chunk.toString());
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return {
    process: child,
    output: () => output,
    // 'close', not 'exit': every line the demo wrote has been read by then.
    exited: new Promise((resolve) => child.once('close', (code) => resolve(code))),
  };
}

describe('the demo on free ports', () => {
  let demo: Demo;
  let gateway: string;

  beforeAll(async () => {
    const [gatewayPort, simulatorPort, adminPort] = [await freePort(), await freePort(), await freePort()];
    gateway = `http://127.0.0.1:${gatewayPort}`;
    demo = startDemo(gatewayPort, simulatorPort, adminPort);
    await new Promise<void>((resolve, reject) => {
      demo.process.stdout?.on('data', () => {
        if (demo.output().includes('Demo ready.')) resolve();
      });
      void demo.exited.then((code) => reject(new Error(`demo exited (${code}):\n${demo.output()}`)));
    });
  }, 150_000);

  afterAll(async () => {
    if (demo.process.exitCode !== null || demo.process.signalCode !== null) return;
    process.kill(-demo.process.pid!, 'SIGKILL');
    await demo.exited;
  });

  it('serves the seeded interaction over the REST and the SOAP demo account', async () => {
    // Checked against the document the demo's gateway serves.
    const contract = contractOf((await (await fetch(`${gateway}/docs/openapi.json`)).json()) as OpenAPIObject);
    for (const account of ['12345678', '12345679']) {
      const response = await keptFetch(contract, `${gateway}/v1/accounts/${account}/interactions/040100713/flow`, {
        headers: { authorization: 'Bearer demo-key' },
      });
      expect(response.status).toBe(200);
      const flow = (await response.json()) as { accountId: string; pages: unknown[] };
      expect(flow.accountId).toBe(account);
      expect(flow.pages).toHaveLength(4);
    }
  });

  it('prints curls that work as shown, the key included', () => {
    const curls = demo
      .output()
      .split('\n')
      .map((line) => /\b(curl .*)$/.exec(line)?.[1])
      .filter((command) => command !== undefined);
    expect(curls).toHaveLength(3);
    const answers = curls.map((command) => JSON.parse(execFileSync('sh', ['-c', command], { encoding: 'utf8' })));
    expect(answers.slice(0, 2)).toEqual([
      expect.objectContaining({ accountId: '12345678', pages: expect.any(Array) }),
      expect.objectContaining({ accountId: '12345679', pages: expect.any(Array) }),
    ]);
    // The simulator's counters: both accounts' calls reached it.
    expect(answers[2]).toMatchObject({ rest: { requests: expect.any(Number) }, soap: expect.any(Object) });
  });

  it('serves Swagger UI and the OpenAPI document', async () => {
    expect((await fetch(`${gateway}/docs`)).status).toBe(200);
    const document = (await (await fetch(`${gateway}/docs/openapi.json`)).json()) as { info: { title: string } };
    expect(document.info.title).toBe('Interact Flow Gateway');
  });

  it('stops on Ctrl-C, the gateway draining once rather than cut short by a second signal', async () => {
    process.kill(-demo.process.pid!, 'SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toContain('drained; exiting');
    expect(demo.output()).not.toContain('while draining');
    await expect(fetch(gateway)).rejects.toThrow();
  }, 30_000);
});

describe('the demo when a port is taken', () => {
  // It answers 200 to anything, /health/ready included: a demo content with any answer would call it ready.
  let squatter: Server;
  let takenPort: number;

  beforeAll(async () => {
    squatter = createHttpServer((_request, response) => response.end('{"status":"ok"}'));
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    takenPort = (squatter.address() as { port: number }).port;
  });
  afterAll(() => new Promise((resolve) => squatter.close(resolve)));

  const stackTraceLine = /^\s+at /m;

  it('says that PORT is taken, after the gateway’s one JSON line, and stops the simulator it started', async () => {
    const simulatorPort = await freePort();
    const demo = startDemo(takenPort, simulatorPort, await freePort());
    expect(await demo.exited).toBe(1);
    const lines = demo.output().split('\n');
    expect(demo.output()).not.toContain('Demo ready.');
    expect(demo.output()).not.toMatch(stackTraceLine);
    const errors = lines.flatMap((line) => {
      try {
        const entry = JSON.parse(line) as { level?: string; msg?: string };
        return entry.level === 'error' ? [entry.msg] : [];
      } catch {
        return [];
      }
    });
    expect(errors).toEqual([`Error: listen EADDRINUSE: address already in use 0.0.0.0:${takenPort}`]);
    expect(lines).toContain(
      `demo: port ${takenPort} (PORT) is already taken by another process. Stop that process, or pick a free ` +
        `port: PORT=${takenPort + 100} npm run demo`,
    );
    await expect(fetch(`http://127.0.0.1:${simulatorPort}/__simulator/stats`)).rejects.toThrow();
  }, 150_000);

  it('says that SIMULATOR_PORT is taken, and never starts the gateway', async () => {
    const gatewayPort = await freePort();
    const demo = startDemo(gatewayPort, takenPort, await freePort());
    expect(await demo.exited).toBe(1);
    expect(demo.output()).not.toMatch(stackTraceLine);
    expect(demo.output()).toContain(`EADDRINUSE: address already in use 0.0.0.0:${takenPort}`);
    expect(demo.output().split('\n')).toContain(
      `demo: port ${takenPort} (SIMULATOR_PORT) is already taken by another process. Stop that process, or pick ` +
        `a free port: SIMULATOR_PORT=${takenPort + 100} npm run demo`,
    );
    expect(demo.output()).not.toContain('interact-flow-gateway');
    await expect(fetch(`http://127.0.0.1:${gatewayPort}/health/live`)).rejects.toThrow();
  }, 150_000);

  it('says that ADMIN_PORT is taken, after the gateway’s one JSON line, and stops both', async () => {
    const [gatewayPort, simulatorPort] = [await freePort(), await freePort()];
    const demo = startDemo(gatewayPort, simulatorPort, takenPort);
    expect(await demo.exited).toBe(1);
    expect(demo.output()).not.toContain('Demo ready.');
    expect(demo.output()).not.toMatch(stackTraceLine);
    expect(demo.output()).toContain(`"msg":"Error: listen EADDRINUSE: address already in use 0.0.0.0:${takenPort}"`);
    expect(demo.output().split('\n')).toContain(
      `demo: port ${takenPort} (ADMIN_PORT) is already taken by another process. Stop that process, or pick a ` +
        `free port: ADMIN_PORT=${takenPort + 100} npm run demo`,
    );
    for (const port of [gatewayPort, simulatorPort])
      await expect(fetch(`http://127.0.0.1:${port}/problems/unauthorized`)).rejects.toThrow();
  }, 150_000);
});

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';

/** Runs the README's demo from dist/ (npm test builds it first), on ports of its own. */
let demo: ChildProcess;
let gateway: string;
let output = '';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  const [gatewayPort, adminPort, simulatorPort] = [await freePort(), await freePort(), await freePort()];
  gateway = `http://127.0.0.1:${gatewayPort}`;
  // A group of its own, as a terminal gives it: Ctrl-C is then a SIGINT to the whole group.
  demo = spawn(process.execPath, ['scripts/demo.mjs'], {
    // The gateway reads ADMIN_PORT from the environment the demo passes on.
    env: {
      ...process.env,
      PORT: String(gatewayPort),
      ADMIN_PORT: String(adminPort),
      SIMULATOR_PORT: String(simulatorPort),
    },
    detached: true,
  });
  await new Promise<void>((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Demo ready.')) resolve();
    };
    demo.stdout?.on('data', collect);
    demo.stderr?.on('data', collect);
    demo.on('exit', (code) => reject(new Error(`demo exited (${code}):\n${output}`)));
  });
}, 60_000);

afterAll(async () => {
  if (demo.exitCode !== null || demo.signalCode !== null) return;
  const exited = new Promise((resolve) => demo.once('exit', resolve));
  process.kill(-demo.pid!, 'SIGKILL');
  await exited;
});

it('serves the seeded interaction over the REST and the SOAP demo account', async () => {
  for (const account of ['12345678', '12345679']) {
    const response = await fetch(`${gateway}/v1/accounts/${account}/interactions/040100713/flow`, {
      headers: { authorization: 'Bearer demo-key' },
    });
    expect(response.status).toBe(200);
    const flow = (await response.json()) as { accountId: string; pages: unknown[] };
    expect(flow.accountId).toBe(account);
    expect(flow.pages).toHaveLength(4);
  }
});

it('serves Swagger UI and the OpenAPI document', async () => {
  expect((await fetch(`${gateway}/docs`)).status).toBe(200);
  const document = (await (await fetch(`${gateway}/docs/openapi.json`)).json()) as { info: { title: string } };
  expect(document.info.title).toBe('Interact Flow Gateway');
});

it('stops on Ctrl-C, the gateway draining once rather than cut short by a second signal', async () => {
  const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve));
  process.kill(-demo.pid!, 'SIGINT');
  expect(await exited).toBe(0);
  // The children's last lines may still be on their way through the shared terminal.
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(output).toContain('drained; exiting');
  expect(output).not.toContain('while draining');
  await expect(fetch(gateway)).rejects.toThrow();
}, 30_000);

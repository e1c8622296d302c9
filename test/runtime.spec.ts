import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GatewayProcess } from './support/gateway-process.js';
import { startSimulator, type RunningSimulator } from './support/simulator.js';

/**
 * The project brings its own Node.js: the `node` devDependency puts it first on the PATH of npm
 * scripts, whatever Node the machine has. So `npm test` runs vitest and its workers on it, and every
 * process a test starts with process.execPath, as the image runs the gateway on the same release.
 */
const projectNode = (JSON.parse(readFileSync('package.json', 'utf8')) as { devDependencies: Record<string, string> })
  .devDependencies.node;

let simulator: RunningSimulator;
let gateway: GatewayProcess;

beforeAll(async () => {
  simulator = await startSimulator();
});
afterAll(async () => {
  await gateway?.stop();
  await simulator.close();
});

it('runs the tests on the Node.js 24 release the project installs', () => {
  expect(projectNode).toMatch(/^24\.\d+\.\d+$/);
  // Run outside npm (a bare `vitest`), the machine's own Node would answer here instead.
  expect(process.versions.node).toBe(projectNode);
});

it('starts the gateway process on that release too', async () => {
  gateway = new GatewayProcess();
  await gateway.start(simulator);
  // prom-client's nodejs_version_info: the gateway's own word on the runtime it runs on.
  const metrics = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
  const info = /^nodejs_version_info\{version="v([\d.]+)",major="(\d+)"/m.exec(metrics);
  expect(info?.slice(1)).toEqual([projectNode, '24']);
  // And its own: the build (npm test builds first) recorded the commit checked out.
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  expect(metrics).toMatch(
    new RegExp(
      `^interact_flow_gateway_build_info\\{version="[^"]+",commit="${commit}",nodejs_version="${projectNode}"\\} 1$`,
      'm',
    ),
  );
});

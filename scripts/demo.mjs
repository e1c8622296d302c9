// Starts the Interact simulator and the gateway from dist/, wired together with the demo accounts.
// PORT and SIMULATOR_PORT move them off 3000 and 3001.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const gatewayPort = process.env.PORT ?? '3000';
const simulatorPort = process.env.SIMULATOR_PORT ?? '3001';
const simulatorUrl = `http://127.0.0.1:${simulatorPort}`;

// The demo configuration names the simulator on 3001; point it at the port actually used.
const demoConfig = readFileSync(new URL('../config/demo.json', import.meta.url), 'utf8').replaceAll(
  'http://127.0.0.1:3001',
  simulatorUrl,
);
const configFile = join(mkdtempSync(join(tmpdir(), 'interact-demo-')), 'gateway.json');
writeFileSync(configFile, demoConfig);

const children = [];
function start(name, args, env) {
  // A process group of its own: Ctrl-C reaches the demo alone, which stops each child with one
  // SIGTERM. Sharing the terminal's group, the gateway got SIGINT and then SIGTERM, and a second
  // signal cuts its drain short.
  const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, ...env }, detached: true });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`demo: ${name} stopped (${signal ?? code}); stopping the demo`);
    stop(code || 1);
  });
  children.push(child);
}

let stopping = false;
function stop(code = 0) {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  process.exitCode = code;
}
process.on('SIGINT', () => stop());
process.on('SIGTERM', () => stop());
// Outside the terminal's group, children would outlive a demo that fails on its own.
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
});

async function waitFor(url) {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`demo: nothing answered at ${url}`);
}

start('simulator', ['dist/apps/interact-simulator/src/main.js'], { SIMULATOR_PORT: simulatorPort });
await waitFor(`${simulatorUrl}/__simulator/stats`);
start('gateway', ['--import', './dist/apps/gateway/src/tracing.js', 'dist/apps/gateway/src/main.js'], {
  PORT: gatewayPort,
  GATEWAY_CONFIG_FILE: configFile,
  // The simulator's published demo credentials; real keys come from Secrets.
  INTERACT_APPLICATION_KEY_12345678: 'demo-app-key-12345678',
  INTERACT_APPLICATION_KEY_12345679: 'demo-app-key-12345679',
});
await waitFor(`http://127.0.0.1:${gatewayPort}/docs/openapi.json`);
console.log(`
Demo ready.
  Swagger UI   http://localhost:${gatewayPort}/docs
  REST account curl http://localhost:${gatewayPort}/v1/accounts/12345678/interactions/040100713/flow
  SOAP account curl http://localhost:${gatewayPort}/v1/accounts/12345679/interactions/040100713/flow
  Simulator    ${simulatorUrl}/__simulator/stats
Ctrl-C stops both.`);

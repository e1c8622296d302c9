// Starts the Interact simulator and the gateway from dist/, wired together with the demo accounts,
// and says "Demo ready." only once the processes it started are: each has said it listens, and the
// gateway answers /health/ready on its admin port. PORT, ADMIN_PORT and SIMULATOR_PORT move them
// off 3000, 9464 and 3001.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

// Empty counts as unset, as the apps themselves read it.
const gatewayPort = process.env.PORT || '3000';
const adminPort = process.env.ADMIN_PORT || '9464';
const simulatorPort = process.env.SIMULATOR_PORT || '3001';
const simulatorUrl = `http://127.0.0.1:${simulatorPort}`;
/** A start-up takes seconds; a loaded 2-core machine may need many times that, but not for ever. */
const START_TIMEOUT_SECONDS = 120;
/** The demo client's key. config/demo.json holds only its SHA-256, as any gateway config does. */
const DEMO_KEY = 'demo-key';

// The demo configuration names the simulator on 3001; point it at the port actually used.
const demoConfigText = readFileSync(new URL('../config/demo.json', import.meta.url), 'utf8');
const demoConfig = JSON.parse(demoConfigText);
const demoKeySha256 = createHash('sha256').update(DEMO_KEY).digest('hex');
const client = demoConfig.clients.find(({ keySha256 }) => keySha256 === demoKeySha256);
if (!client) {
  console.error(`demo: config/demo.json grants the key "${DEMO_KEY}" to no client; every call would get 401`);
  process.exit(1);
}
const configFile = join(mkdtempSync(join(tmpdir(), 'interact-demo-')), 'gateway.json');
writeFileSync(configFile, demoConfigText.replaceAll('http://127.0.0.1:3001', simulatorUrl));

/** Each started process, with what its output has told so far. */
const started = [];
let stopping = false;

/** Once: npm run forwards the terminal's Ctrl-C to the demo, which gets it as well, and a second SIGTERM cuts a drain short. */
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const { child } of started) child.kill('SIGTERM');
  process.exitCode = code;
}

function fail(message) {
  // A process that ends because the demo stopped it is no failure.
  if (stopping) return;
  console.error(`demo: ${message}`);
  stop(1);
}

/**
 * Its output goes through the demo, line by line, so that the demo can tell when it listens and why
 * it stopped; the lines themselves reach the terminal as written.
 */
function start(name, ports, args, env, saysListening) {
  // A process group of its own: Ctrl-C reaches the demo alone, which stops each child with one
  // SIGTERM. Sharing the terminal's group, the gateway got SIGINT and then SIGTERM, and a second
  // signal cuts its drain short.
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    detached: true,
  });
  const app = { name, child, listening: false, portTaken: undefined, ended: false };
  for (const [input, output] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    createInterface({ input, crlfDelay: Infinity }).on('line', (line) => {
      output.write(`${line}\n`);
      if (saysListening(line)) app.listening = true;
      // "listen EADDRINUSE: address already in use 0.0.0.0:3000": which of its ports, by number.
      const taken = /EADDRINUSE.*:(\d+)\b/.exec(line)?.[1];
      if (taken) app.portTaken = Object.entries(ports).find(([, port]) => port === taken);
    });
  }
  // 'close', not 'exit': by then every line it wrote has been read.
  child.on('close', (code, signal) => {
    app.ended = true;
    if (app.portTaken) {
      const [portVariable, port] = app.portTaken;
      fail(
        `port ${port} (${portVariable}) is already taken by another process. Stop that process, or pick a free ` +
          `port: ${portVariable}=${Number(port) + 100} npm run demo`,
      );
    } else {
      fail(`the ${name} stopped (${signal ?? `exit status ${code}`}); stopping the demo`);
    }
  });
  started.push(app);
  return app;
}

process.on('SIGINT', () => stop());
process.on('SIGTERM', () => stop());
// Outside the terminal's group, children would outlive a demo that fails on its own.
process.on('exit', () => {
  for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
});

function jsonLine(line) {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** A connection of its own, closed with the answer: no idle keep-alive socket left for a drain to wait on. */
function answersOk(url) {
  return new Promise((resolve) => {
    const request = get(url, { agent: false, timeout: 2_000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

/** Whether the process became ready; false when it ended, the demo is stopping, or time ran out (said). */
async function becameReady(app, ready) {
  const deadline = performance.now() + START_TIMEOUT_SECONDS * 1000;
  while (!stopping && !app.ended) {
    // Only once the process said it listens: until then an answer on its port is someone else's.
    if (app.listening && (await ready())) return true;
    if (performance.now() > deadline) {
      fail(`the ${app.name} was not ready within ${START_TIMEOUT_SECONDS} s; its output is above`);
      return false;
    }
    await sleep(100);
  }
  return false;
}

const simulator = start(
  'Interact simulator',
  { SIMULATOR_PORT: simulatorPort },
  ['dist/apps/interact-simulator/src/main.js'],
  { SIMULATOR_PORT: simulatorPort },
  (line) => line.startsWith('Interact simulator listening on '),
);
if (await becameReady(simulator, async () => true)) {
  const gateway = start(
    'gateway',
    { PORT: gatewayPort, ADMIN_PORT: adminPort },
    ['--import', './dist/apps/gateway/src/tracing.js', 'dist/apps/gateway/src/main.js'],
    {
      PORT: gatewayPort,
      ADMIN_PORT: adminPort,
      GATEWAY_CONFIG_FILE: configFile,
      // The simulator's published demo credentials; real keys come from Secrets.
      INTERACT_APPLICATION_KEY_12345678: 'demo-app-key-12345678',
      INTERACT_APPLICATION_KEY_12345679: 'demo-app-key-12345679',
    },
    (line) => jsonLine(line)?.msg?.startsWith('listening on ') === true,
  );
  if (await becameReady(gateway, () => answersOk(`http://127.0.0.1:${adminPort}/health/ready`))) {
    const base = `http://localhost:${gatewayPort}`;
    const curls = demoConfig.accounts
      .filter(({ id }) => client.accounts.includes(id))
      .map(
        ({ id, transport }) =>
          `  ${`${transport.toUpperCase()} account`.padEnd(13)}curl -s -H 'Authorization: Bearer ${DEMO_KEY}' ` +
          `${base}/v1/accounts/${id}/interactions/040100713/flow`,
      );
    console.log(`
Demo ready.
  Swagger UI   ${base}/docs (Authorize with the key ${DEMO_KEY})
${curls.join('\n')}
  Simulator    curl -s http://localhost:${simulatorPort}/__simulator/stats
  Operations   http://localhost:${adminPort}/health/ready and /metrics (probes and metrics, no key)
Ctrl-C stops both.`);
  }
}

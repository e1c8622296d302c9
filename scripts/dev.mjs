// npm run start:dev: the gateway rebuilt and restarted on every change of apps/ or libs/, without
// the Nest CLI. tsc compiles in watch mode; after each compilation without errors, tsc-alias
// rewrites the @app/... imports (Node cannot resolve them until it has), and only then is the
// gateway restarted: a restart on tsc's own output would load files whose imports are not yet
// rewritten. A compilation with errors leaves the running gateway as it was.
//
// The gateway reads .env when there is one (copy .env.example): Node's --env-file-if-exists, on this
// command line alone. npm run start:gateway and the image never pass it, so production reads only
// the variables its environment sets.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const tscAlias = require.resolve('tsc-alias/dist/bin/index.js');
/** tsc's line at the end of each compilation in watch mode. */
const COMPILED = /Found (\d+) errors?\. Watching for file changes\./;

let gateway;
let stopping = false;

function startGateway() {
  gateway = spawn(
    process.execPath,
    ['--env-file-if-exists=.env', '--import', './dist/apps/gateway/src/tracing.js', 'dist/apps/gateway/src/main.js'],
    // A process group of its own, as the compiler's: Ctrl-C reaches this script alone, which stops
    // the gateway with one SIGTERM (a second signal would cut its drain short).
    { stdio: 'inherit', detached: true },
  );
}

/** One SIGTERM, and a wait for its drain: the next gateway needs the ports. */
function stopGateway() {
  const running = gateway;
  gateway = undefined;
  if (!running || running.exitCode !== null || running.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    running.once('exit', resolve);
    running.kill('SIGTERM');
  });
}

let restarting = Promise.resolve();
function restart() {
  restarting = restarting.then(async () => {
    if (stopping) return;
    const aliased = spawnSync(process.execPath, [tscAlias, '-p', 'tsconfig.build.json', '--resolve-full-paths'], {
      stdio: 'inherit',
    });
    if (aliased.status !== 0) return console.error('dev: tsc-alias failed; the gateway keeps running as it was');
    // The simulator's WSDL and XSD, and the build's commit: as npm run build does.
    spawnSync(process.execPath, ['scripts/copy-assets.mjs'], { stdio: 'inherit' });
    await stopGateway();
    if (!stopping) startGateway();
  });
}

const compiler = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput'], {
  stdio: ['ignore', 'pipe', 'inherit'],
  detached: true,
});
createInterface({ input: compiler.stdout }).on('line', (line) => {
  console.log(line);
  const errors = COMPILED.exec(line)?.[1];
  if (errors === '0') restart();
});

async function stop() {
  if (stopping) return;
  stopping = true;
  compiler.kill('SIGTERM');
  await restarting;
  await stopGateway();
}
// npm run forwards the terminal's Ctrl-C as well: stop() runs once.
process.on('SIGINT', stop).on('SIGTERM', stop);
// Outside the terminal's group, the children would outlive this script if it failed on its own.
process.on('exit', () => {
  compiler.kill('SIGTERM');
  gateway?.kill('SIGTERM');
});

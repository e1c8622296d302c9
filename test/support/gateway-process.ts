import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO_ACCOUNTS, type RunningSimulator } from './simulator.js';
import { TEST_API_KEY } from './gateway.js';
import type { OpenAPIObject } from '@nestjs/swagger';
import { contractOf, keptFetch, type Contract } from './contract.js';
import { freePort } from './redis.js';

// A process a signal killed has no exit code, only its signal.
const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** The built gateway (dist/, as npm test builds it) in a process of its own, as it runs in production. */
export class GatewayProcess {
  private text = '';
  private errorText = '';
  private child?: ChildProcess;
  /** The API. */
  url = '';
  /** Probes and metrics. */
  adminUrl = '';
  /** The OpenAPI document the process serves, as a contract: read at its first checked request. */
  private contract?: Promise<Contract>;

  async start(simulator: RunningSimulator, env: Record<string, string> = {}, apiKey = TEST_API_KEY): Promise<void> {
    const child = await this.launch(simulator, env, apiKey);
    for (let attempt = 0; attempt < 100; attempt += 1) {
      if (hasExited(child)) throw new Error(`gateway exited early:\n${this.output.join('\n')}`);
      try {
        if ((await fetch(`${this.adminUrl}/health/live`)).ok) return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error(`gateway did not start:\n${this.output.join('\n')}`);
  }

  /** Spawned and not waited for: a test may act on the process while it is still starting. */
  async launch(
    simulator: RunningSimulator,
    env: Record<string, string> = {},
    apiKey = TEST_API_KEY,
  ): Promise<ChildProcess> {
    const [port, adminPort] = [await freePort(), await freePort()];
    this.url = `http://127.0.0.1:${port}`;
    this.adminUrl = `http://127.0.0.1:${adminPort}`;
    this.contract = undefined;
    const config = {
      accounts: DEMO_ACCOUNTS.map((account, index) => ({
        id: account.accountId,
        transport: index === 0 ? 'rest' : 'soap',
        baseUrl: simulator.url,
        ...(index === 1 && { wsdl: simulator.wsdlUrl }),
        tenantId: account.tenantId,
        environmentName: account.environmentName,
      })),
      clients: [
        {
          id: 'test',
          keySha256: createHash('sha256').update(apiKey).digest('hex'),
          accounts: ['12345678', '12345679'],
        },
      ],
    };
    const file = join(mkdtempSync(join(tmpdir(), 'gateway-process-')), 'gateway.json');
    writeFileSync(file, JSON.stringify(config));
    this.child = spawn(
      process.execPath,
      ['--import', './dist/apps/gateway/src/tracing.js', 'dist/apps/gateway/src/main.js'],
      {
        env: {
          ...process.env,
          PORT: String(port),
          ADMIN_PORT: String(adminPort),
          HOST: '127.0.0.1',
          GATEWAY_CONFIG_FILE: file,
          INTERACT_APPLICATION_KEY_12345678: DEMO_ACCOUNTS[0].applicationKey,
          INTERACT_APPLICATION_KEY_12345679: DEMO_ACCOUNTS[1].applicationKey,
          // The port closes at once on a stop unless a test is about the time it stays open.
          DRAIN_LISTEN_SECONDS: '0',
          ...env,
        },
      },
    );
    // Kept whole and split only when read: a line may arrive in two chunks.
    const collect = (chunk: Buffer) => void (this.text += chunk.toString());
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.child.stderr?.on('data', (chunk: Buffer) => void (this.errorText += chunk.toString()));
    return this.child;
  }

  /** fetch on the API (a path), its response checked against the document the process serves. */
  async fetch(path: string, init?: RequestInit): Promise<Response> {
    // Read from the process, which built it: dist/ and the process's own configuration.
    this.contract ??= fetch(`${this.url}/docs/openapi.json`).then(async (served) => {
      if (!served.ok) throw new Error(`the gateway serves no OpenAPI document: ${served.status}`);
      return contractOf((await served.json()) as OpenAPIObject);
    });
    return keptFetch(await this.contract, `${this.url}${path}`, init);
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** The exit status, or the signal that killed the process: a failed expectation then says which. */
  exited(): Promise<number | NodeJS.Signals | null> {
    const child = this.child;
    if (!child || hasExited(child)) return Promise.resolve(child?.exitCode ?? child?.signalCode ?? null);
    return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  }

  async stop(): Promise<void> {
    if (!this.child || hasExited(this.child)) return;
    const exited = this.exited();
    this.child.kill('SIGKILL');
    await exited;
  }

  /** Everything the process wrote to stdout and stderr, a line each. */
  get output(): string[] {
    return this.text.split('\n').filter(Boolean);
  }

  /** What the process wrote to stderr alone, a line each. */
  get errorOutput(): string[] {
    return this.errorText.split('\n').filter(Boolean);
  }

  /** Resolves once the process has logged this message. */
  async logged(message: string): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      if (this.logLines().some((line) => line.msg === message)) return;
      await sleep(50);
    }
    throw new Error(`the gateway never logged "${message}":\n${this.output.join('\n')}`);
  }

  logLines(): Array<Record<string, unknown>> {
    return this.output.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }
}

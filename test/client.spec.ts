import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TEST_API_KEY } from './support/gateway.js';
import { DEMO_IDS } from './support/simulator.js';
import { useTestbed } from './support/testbed.js';

const run = promisify(execFile);
const testbed = useTestbed();

describe('the TypeScript client generated from the OpenAPI document', () => {
  it('is committed as the built gateway’s document generates it', async () => {
    // From dist/, as npm run client:generate writes it: npm test builds first.
    await expect(run(process.execPath, ['scripts/client-generate.mjs', '--check'])).resolves.toBeDefined();
  });

  it('reads a flow in its example, saying what each answer was by its kind', async () => {
    const gateway = await testbed.gateway();
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'clients/typescript/examples/read-flow.ts', '12345678', DEMO_IDS.claim],
      { env: { ...process.env, GATEWAY_URL: gateway.url, API_KEY: TEST_API_KEY } },
    );
    expect(stdout).toMatch(/^0\. /);
    expect(stdout).toMatch(/: (not )?chosen$/m);
    expect(stdout).toMatch(/\(selected null\)$/m);
    expect(stdout).toMatch(/: photos uploaded \(value null\)$/m);
  });
});

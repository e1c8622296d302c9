import { expect, it } from 'vitest';
import { REST_ACCOUNT, SOAP_ACCOUNT } from './support/gateway.js';
import { useTestbed } from './support/testbed.js';
import { flowPath } from './support/paths.js';

// A file of its own: Node warns once per signal and process, so another test's burst must not come first.
const testbed = useTestbed();

it("carries more concurrent upstream calls than Node's listener limit without warning of a leak", async () => {
  const warnings: Error[] = [];
  const keep = (warning: Error) => warnings.push(warning);
  process.on('warning', keep);
  try {
    const gw = await testbed.gateway();
    await testbed.simulator.setFaults({ rest: { latencyMs: 100 }, soap: { latencyMs: 100 } });
    // Twelve histories per account that nobody asked for before: no-cache requests for one key would share one call.
    const burst = [REST_ACCOUNT, SOAP_ACCOUNT].flatMap((account) =>
      Array.from({ length: 12 }, (_, i) => gw.http().get(flowPath(account, `unknown-${i}`))),
    );
    const statuses = (await Promise.all(burst)).map((response) => response.status);
    expect(statuses).toEqual(Array.from({ length: 24 }, () => 404));
    expect((await testbed.simulator.stats()).total).toBe(24);
    // Warnings are emitted on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
  } finally {
    process.off('warning', keep);
  }
});

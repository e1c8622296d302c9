import { afterEach, describe, expect, it } from 'vitest';
import type { UpstreamAnswer } from '@app/interact-client';
import { MetricsService } from '../metrics/metrics.service.js';
import type { FlowFrame } from './flow-json.js';
import { FlowRenderer, GatewayOverloadedError } from './flow.renderer.js';
import { PayloadDriftService } from './payload-drift.service.js';

const frame: FlowFrame = {
  accountId: '12345678',
  interactionId: '040100713',
  lookup: { by: 'interactionId', value: '040100713', widerSearch: false },
};

/** An empty history padded past the 128 KiB read inline, so that it goes to the pool. */
const largeAnswer = (): UpstreamAnswer => ({
  transport: 'rest',
  body: new TextEncoder().encode(`[${' '.repeat(192 * 1024)}]`),
});

/** A page carrying a field no published history shows, padded as above to go to the pool, or not. */
const driftingAnswer = (padding: number): UpstreamAnswer => ({
  transport: 'rest',
  body: new TextEncoder().encode(`[{"pageNavigation":{"navigationTitle":"One"},"mood":"calm"}${' '.repeat(padding)}]`),
});

const newRenderer = (metrics = new MetricsService()) =>
  new FlowRenderer({ renderThreads: 1 }, new PayloadDriftService(metrics));

let renderer: FlowRenderer | undefined;
afterEach(() => renderer?.onApplicationShutdown());

describe('FlowRenderer', () => {
  it('refuses a burst beyond its bounded queue as its own overload, to be retried in 1 s', async () => {
    renderer = newRenderer();
    const burst = Array.from({ length: 20 }, () => renderer?.render(largeAnswer(), frame));
    const outcomes = await Promise.allSettled(burst);

    const rendered = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    // The one thread's task and the four queued behind it.
    expect(rendered).toHaveLength(5);
    for (const { value } of rendered) expect(JSON.parse(String(value))).toMatchObject({ ...frame, pages: [] });

    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    expect(refused).toHaveLength(15);
    for (const reason of refused) {
      expect(reason).toBeInstanceOf(GatewayOverloadedError);
      expect(reason).toMatchObject({ reason: 'render_queue_full', retryAfterSeconds: 1 });
    }

    // Refused for the burst only: once the queue has drained, the next answer is read.
    expect(JSON.parse(String(await renderer.render(largeAnswer(), frame)))).toMatchObject({ pages: [] });
  });

  it('reports unknown fields from the pool as from the event loop, and reads the page all the same', async () => {
    const metrics = new MetricsService();
    renderer = newRenderer(metrics);
    for (const padding of [0, 192 * 1024]) {
      const flow = JSON.parse(String(await renderer.render(driftingAnswer(padding), frame))) as {
        pages: { title: string }[];
      };
      expect(flow.pages.map((page) => page.title)).toEqual(['One']);
    }
    const counted = (await metrics.payloadUnknown.get()).values;
    expect(counted).toEqual([
      { value: 2, labels: { account: frame.accountId, transport: 'rest', field: 'page.mood' } },
    ]);
  });
});

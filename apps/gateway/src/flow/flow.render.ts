import { readUpstreamAnswer, type UpstreamAnswer } from '@app/interact-client';
import type { Flow } from './flow.model.js';
import { normalizePages } from './flow.normalizer.js';

/** What a flow says of its lookup; the pages come from the answer. */
export type FlowFrame = Omit<Flow, 'pages'>;

/**
 * An upstream answer made into the flow's JSON bytes, in one pass that holds nothing of the
 * caller's: it runs inline or in a worker thread alike. The bytes have a buffer of their own, so
 * that a worker can hand them over without copying.
 */
export function renderFlow(answer: UpstreamAnswer, frame: FlowFrame): Uint8Array {
  const flow: Flow = { ...frame, pages: normalizePages(readUpstreamAnswer(answer)) };
  return new TextEncoder().encode(JSON.stringify(flow));
}

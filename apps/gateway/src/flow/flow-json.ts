import { readUpstreamAnswer, type UpstreamAnswer } from '@app/interact-client';
import type { Flow } from './flow.model.js';
import { normalizePages } from './flow.normalizer.js';
import { photoHref } from './photo-id.js';

/** What a flow says of its lookup; the pages come from the answer. */
export type FlowFrame = Omit<Flow, 'pages'>;

export interface RenderedFlow {
  /** The flow's JSON bytes, with a buffer of their own, so that a worker can hand them over without copying. */
  bytes: Uint8Array;
  /** What the answer carried that the reader does not know (see ReadHistory). */
  unknownFields: string[];
}

/**
 * An upstream answer made into the flow's JSON bytes, in one pass that holds nothing of the
 * caller's: it runs inline or in a worker thread alike.
 */
export function renderFlow(answer: UpstreamAnswer, frame: FlowFrame): RenderedFlow {
  const { pages, unknownFields } = readUpstreamAnswer(answer);
  const flow: Flow = { ...frame, pages: normalizePages(pages) };
  const { accountId, interactionId } = frame;
  // Only a flow found by interaction id knows the interaction its photos are fetched under.
  if (interactionId !== null)
    for (const page of flow.pages)
      for (const photo of page.photos) photo.href = photoHref(accountId, interactionId, photo.id);
  return { bytes: new TextEncoder().encode(JSON.stringify(flow)), unknownFields };
}

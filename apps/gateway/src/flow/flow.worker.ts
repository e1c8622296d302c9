import { move } from 'piscina';
import { UpstreamError, toUpstreamErrorData, type UpstreamAnswer, type UpstreamErrorData } from '@app/interact-client';
import { renderFlow, type FlowFrame } from './flow.render.js';

export interface RenderTask {
  answer: UpstreamAnswer;
  frame: FlowFrame;
}

export type RenderResult = Uint8Array | { failure: UpstreamErrorData };

/** Runs in FlowRenderer's worker threads; the flow's bytes are moved back, not copied. */
export default function render({ answer, frame }: RenderTask): RenderResult {
  try {
    return move(renderFlow(answer, frame)) as unknown as Uint8Array;
  } catch (error) {
    if (error instanceof UpstreamError) return { failure: toUpstreamErrorData(error) };
    throw error;
  }
}

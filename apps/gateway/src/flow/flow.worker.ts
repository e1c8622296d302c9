import { move, transferableSymbol, valueSymbol } from 'piscina';
import { UpstreamError, toUpstreamErrorData, type UpstreamAnswer, type UpstreamErrorData } from '@app/interact-client';
import { renderFlow, type FlowFrame, type RenderedFlow } from './flow-json.js';

export interface RenderTask {
  answer: UpstreamAnswer;
  frame: FlowFrame;
}

export type RenderResult = RenderedFlow | { failure: UpstreamErrorData };

/** Runs in FlowRenderer's worker threads; the flow's bytes are moved back, not copied. */
export default function render({ answer, frame }: RenderTask): RenderResult {
  try {
    const rendered = renderFlow(answer, frame);
    return move({
      get [transferableSymbol]() {
        return [rendered.bytes.buffer];
      },
      get [valueSymbol]() {
        return rendered;
      },
    }) as unknown as RenderedFlow;
  } catch (error) {
    if (error instanceof UpstreamError) return { failure: toUpstreamErrorData(error) };
    throw error;
  }
}

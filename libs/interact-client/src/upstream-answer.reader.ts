import type { InteractPage } from '@app/interact';
import type { UpstreamAnswer } from './flow-transport.js';
import { readRestPayload } from './rest.payload.js';
import { readSoapPayload } from './soap.payload.js';

/** The pages of an answer (none for a found-but-empty history), or an UpstreamError. */
export function readUpstreamAnswer(answer: UpstreamAnswer): InteractPage[] {
  return answer.transport === 'rest'
    ? readRestPayload(answer.body)
    : readSoapPayload(answer.status, answer.responseElement, answer.body);
}

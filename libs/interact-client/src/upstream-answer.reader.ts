import type { UpstreamAnswer } from './flow-transport.js';
import type { ReadHistory } from './page.reader.js';
import { readRestPayload } from './rest.payload.js';
import { readSoapPayload } from './soap.payload.js';

/** The pages of an answer (none for a found-but-empty history) and its unknown fields, or an UpstreamError. */
export function readUpstreamAnswer(answer: UpstreamAnswer): ReadHistory {
  return answer.transport === 'rest'
    ? readRestPayload(answer.body)
    : readSoapPayload(answer.status, answer.responseElement, answer.body);
}

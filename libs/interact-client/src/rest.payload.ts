import { NOT_FOUND_SENTENCE, isEmptyHistoryBody } from '@app/interact';
import { noPages, readInteractPages, type ReadHistory } from './page.reader.js';
import {
  PayloadError,
  UpstreamNotFoundError,
  UpstreamUnauthorizedError,
  statusFailure,
  type UpstreamError,
} from './upstream.errors.js';

/** What any REST status but 200 means; its body is short text, if anything. */
export function restStatusFailure(status: number, body: string): UpstreamError {
  // Uniphore's tables show the sentence in quotes; hosts differ on whether they send them.
  if (status === 404 && NOT_FOUND_SENTENCE.test(body.trim().replace(/^"(.*)"$/s, '$1')))
    return new UpstreamNotFoundError('history not found');
  if (status === 401) return new UpstreamUnauthorizedError('upstream answered 401');
  return statusFailure(status);
}

/** The one place a REST 200 body is interpreted: EMPTY, or a JSON list of pages. */
export function readRestPayload(body: Uint8Array): ReadHistory {
  // Recorded Interact answers begin with a UTF-8 byte order mark, which JSON.parse refuses.
  const start = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  const text = Buffer.from(body.buffer, body.byteOffset + start, body.byteLength - start).toString('utf8');
  if (isEmptyHistoryBody(text)) return noPages();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PayloadError('upstream payload is not JSON');
  }
  if (!Array.isArray(json)) throw new PayloadError('upstream payload is not a list of pages');
  return readInteractPages(json);
}

import type { Dispatcher } from 'undici';
import { UpstreamFailedError } from './upstream.errors.js';

/** Sent with every call: without it any content coding is acceptable (RFC 9110), and none is read here. */
export const IDENTITY_ENCODING = { 'accept-encoding': 'identity' } as const;

/** The statuses whose bodies are read as the answer: a history, or SOAP's fault. */
const ANSWER_STATUSES = new Set([200, 500]);

/**
 * An undici response's body read whole, or refused as soon as it proves larger than maxBytes. A
 * compressed body was not asked for: refused where it would be the answer (read as text it would
 * only fail later, less clearly), dropped elsewhere, where the status alone then speaks.
 */
export async function readCapped(response: Dispatcher.ResponseData, maxBytes: number): Promise<Uint8Array> {
  const { body, headers } = response;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'identity') {
    discard(body);
    if (!ANSWER_STATUSES.has(response.statusCode)) return new Uint8Array(0);
    throw new UpstreamFailedError('upstream sent a compressed body it was not asked for');
  }
  // A body announced as too large is refused before any of it is read.
  if (Number(headers['content-length']) > maxBytes) {
    discard(body);
    throw new UpstreamFailedError(`response larger than ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      discard(body);
      throw new UpstreamFailedError(`response larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  // A body of its own, never a slice of Node's shared pool, so that it can be moved to a worker.
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** Stops reading a body: undici then reports the abort as the body's error, which nobody awaits any more. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

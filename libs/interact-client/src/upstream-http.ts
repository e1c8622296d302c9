import type { Dispatcher } from 'undici';
import { UpstreamFailedError } from './upstream.errors.js';

/** The statuses whose bodies are read as the answer: a history, or SOAP's fault. */
const ANSWER_STATUSES = new Set([200, 500]);

/**
 * How every upstream dispatcher connects. HTTP/1.1 only: undici 8 would negotiate HTTP/2 with a
 * TLS server that offers it, and then one connection would carry every call, so the pools'
 * connection counts (which keep photos from starving flows) would no longer bound anything, on a
 * protocol path that no test here exercises.
 */
export function upstreamConnection(timeoutMs: number) {
  return { keepAliveTimeout: 30_000, connectTimeout: timeoutMs, allowH2: false } as const;
}

/** What bounds one call: its own timeout and, when the caller has one, the caller's deadline. */
export function callSignal(timeoutMs: number, cancel?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return cancel ? AbortSignal.any([timeout, cancel]) : timeout;
}

/**
 * One upstream call, both transports' way: sent asking for no content coding (without
 * Accept-Encoding any is acceptable, RFC 9110, and none is read here), its status and its body read
 * whole, or refused as soon as the body proves larger than maxBytes. A caller's Accept-Encoding, in
 * lower case, is replaced rather than doubled.
 */
export async function fetchCapped(
  dispatcher: Dispatcher,
  request: Dispatcher.RequestOptions & { headers: Record<string, string> },
  maxBytes: number,
): Promise<{ status: number; body: Uint8Array }> {
  const response = await dispatcher.request({
    ...request,
    headers: { ...request.headers, 'accept-encoding': 'identity' },
  });
  return { status: response.statusCode, body: await readCapped(response, maxBytes) };
}

/**
 * A compressed body was not asked for: refused where it would be the answer (read as text it
 * would only fail later, less clearly), dropped elsewhere, where the status alone then speaks.
 */
async function readCapped(response: Dispatcher.ResponseData, maxBytes: number): Promise<Uint8Array> {
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

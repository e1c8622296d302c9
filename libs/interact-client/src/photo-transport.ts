import type { Readable } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import { PHOTO_NOT_FOUND_SENTENCE, restPhotoPath } from '@app/interact';
import { credentialHeaders, type UpstreamAccount } from './upstream-account.js';
import { upstreamConnection } from './upstream-http.js';
import {
  UpstreamFailedError,
  UpstreamNotFoundError,
  UpstreamTimeoutError,
  UpstreamUnauthorizedError,
  callFailure,
  statusFailure,
} from './upstream.errors.js';

export interface PhotoRequest {
  uniqueId: string;
  /** The device-side path, as the flow lists it. */
  path: string;
  /** Pixels, as the caller asked; upstream's own size when absent. */
  maxSize?: number;
}

/** A photo's answer, its body not yet read: the caller streams it and bounds it. */
export interface PhotoAnswer {
  /** As upstream declared it, unchecked. */
  contentType: string | undefined;
  /** As upstream announced it, when it did (Interact sends photos chunked). */
  contentLength: number | undefined;
  body: Readable;
}

/** How the photo's file name is sent: `legacy` writes its dots as `@@@@@`, as older Interact versions wanted. */
export type PhotoDots = 'plain' | 'legacy';

/** The bytes of an error answer worth reading: its sentence; the rest is dropped. */
const ERROR_BODY_BYTES = 1024;

/**
 * Interact's "Get Interaction Photo", REST only: a SOAP account reaches it over REST on the same
 * host with the same credentials. Resolves once the status and headers of a 200 arrive; rejects
 * with an UpstreamError for any other status. The body is the caller's to read or destroy.
 */
export class RestPhotoTransport {
  private readonly pool: Pool;
  private readonly pathPrefix: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly account: UpstreamAccount & { photoDots: PhotoDots }) {
    this.headers = { accept: 'image/*', 'accept-encoding': 'identity', ...credentialHeaders(account) };
    const base = new URL(account.baseUrl);
    this.pathPrefix = base.pathname.replace(/\/+$/, '');
    // A pool of its own: a photo holds its connection for as long as its caller reads, and must
    // not take the connections that flows are fetched over.
    this.pool = new Pool(base.origin, {
      connections: 32,
      ...upstreamConnection(account.timeoutMs),
      headersTimeout: account.timeoutMs,
      // Between two chunks, not in all: a large photo to a slow caller may take longer than any call.
      bodyTimeout: account.timeoutMs,
    });
  }

  async fetchPhoto(request: PhotoRequest, cancel?: AbortSignal): Promise<PhotoAnswer> {
    const { account } = this;
    const path =
      this.pathPrefix +
      restPhotoPath(account.accountId, request.uniqueId, request.path, {
        apiVersion: account.apiVersion,
        maxSize: request.maxSize,
        legacyDot: account.photoDots === 'legacy',
      });
    let response: Dispatcher.ResponseData;
    try {
      response = await this.pool.request({ method: 'GET', path, headers: this.headers, signal: cancel });
    } catch (error) {
      if (cancel?.aborted) throw new UpstreamTimeoutError('the deadline passed before the photo answered');
      if ((error as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT')
        throw new UpstreamTimeoutError(`no answer within ${account.timeoutMs} ms`);
      throw callFailure(error);
    }
    const { statusCode, headers, body } = response;
    if (statusCode !== 200) {
      const text = await errorText(body);
      if (statusCode === 404 && text.trim() === PHOTO_NOT_FOUND_SENTENCE) throw new UpstreamNotFoundError(text.trim());
      if (statusCode === 401) throw new UpstreamUnauthorizedError('upstream answered 401');
      throw statusFailure(statusCode);
    }
    const encoding = headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') {
      discard(body);
      throw new UpstreamFailedError('upstream sent a compressed photo it was not asked for');
    }
    const length = Number(headers['content-length']);
    return {
      contentType: single(headers['content-type']),
      contentLength: Number.isSafeInteger(length) && headers['content-length'] !== undefined ? length : undefined,
      body,
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The start of an error answer as text; never logged nor shown, only matched. */
async function errorText(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= ERROR_BODY_BYTES) break;
    }
  } catch {
    // A body cut short says no less than its status.
  }
  discard(body);
  return Buffer.concat(chunks).subarray(0, ERROR_BODY_BYTES).toString('utf8');
}

/** Stops reading a body: undici then reports the abort as the body's error, which nobody awaits any more. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

import { Pool } from 'undici';
import {
  CREDENTIAL_HEADERS,
  EMPTY_HISTORY_BODY,
  NOT_FOUND_SENTENCE,
  restFullFlowPath,
  type InteractPage,
} from '@app/interact';
import type { FlowLookup, FlowTransport } from './flow-transport.js';
import { readInteractPages } from './page.reader.js';
import type { UpstreamAccount } from './upstream-account.js';
import {
  PayloadError,
  UpstreamFailedError,
  UpstreamNotFoundError,
  UpstreamTimeoutError,
  UpstreamUnauthorizedError,
  networkFailure,
  statusFailure,
} from './upstream.errors.js';

/** REST "Get Full Interaction Flow" over one keep-alive connection pool per account. */
export class RestFlowTransport implements FlowTransport {
  readonly kind = 'rest';
  private readonly pool: Pool;
  private readonly pathPrefix: string;

  constructor(private readonly account: UpstreamAccount) {
    const base = new URL(account.baseUrl);
    this.pathPrefix = base.pathname.replace(/\/+$/, '');
    this.pool = new Pool(base.origin, {
      connections: 64,
      keepAliveTimeout: 30_000,
      connectTimeout: account.timeoutMs,
    });
  }

  async fetchFlow(lookup: FlowLookup): Promise<InteractPage[]> {
    const { account } = this;
    const path =
      this.pathPrefix +
      restFullFlowPath(account.accountId, lookup.kind, lookup.value, account.apiVersion) +
      (lookup.widerSearch ? '?widerSearch=true' : '');
    const signal = AbortSignal.timeout(account.timeoutMs);
    let status: number;
    let body: string;
    try {
      const response = await this.pool.request({
        method: 'GET',
        path,
        signal,
        headers: {
          accept: 'application/json, text/plain',
          [CREDENTIAL_HEADERS.tenantId]: account.tenantId,
          [CREDENTIAL_HEADERS.applicationKey]: account.applicationKey,
          [CREDENTIAL_HEADERS.environmentName]: account.environmentName,
        },
      });
      status = response.statusCode;
      body = await readCapped(response.body, response.headers['content-length'], account.maxResponseBytes);
    } catch (error) {
      if (signal.aborted) throw new UpstreamTimeoutError(`no answer within ${account.timeoutMs} ms`);
      if (error instanceof UpstreamFailedError) throw error;
      // The client's own error may quote the request, headers included: keep only its code.
      throw networkFailure((error as { code?: string }).code);
    }
    return parseRestFullFlow(status, body);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(): void },
  declaredLength: unknown,
  maxBytes: number,
): Promise<string> {
  // A body announced as too large is refused before any of it is read.
  if (Number(declaredLength) > maxBytes) {
    body.destroy();
    throw new UpstreamFailedError(`response larger than ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      throw new UpstreamFailedError(`response larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The one place a REST answer is interpreted. */
export function parseRestFullFlow(status: number, body: string): InteractPage[] {
  if (status === 200) {
    // Uniphore documents an empty body as "EMPTY"; real hosts send either.
    const trimmed = body.trim();
    if (trimmed === '' || trimmed === EMPTY_HISTORY_BODY) return [];
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      throw new PayloadError('upstream payload is not JSON');
    }
    if (!Array.isArray(json)) throw new PayloadError('upstream payload is not a list of pages');
    return readInteractPages(json);
  }
  // Uniphore's tables show the sentence in quotes; hosts differ on whether they send them.
  if (status === 404 && NOT_FOUND_SENTENCE.test(body.trim().replace(/^"(.*)"$/s, '$1')))
    throw new UpstreamNotFoundError('history not found');
  if (status === 401) throw new UpstreamUnauthorizedError('upstream answered 401');
  throw statusFailure(status);
}

import { Pool } from 'undici';
import { CREDENTIAL_HEADERS, restFullFlowPath } from '@app/interact';
import type { FlowLookup, FlowTransport, UpstreamAnswer } from './flow-transport.js';
import { restStatusFailure } from './rest.payload.js';
import type { UpstreamAccount } from './upstream-account.js';
import { UpstreamFailedError, UpstreamTimeoutError, networkFailure } from './upstream.errors.js';

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

  async fetchAnswer(lookup: FlowLookup): Promise<UpstreamAnswer> {
    const { account } = this;
    const path =
      this.pathPrefix +
      restFullFlowPath(account.accountId, lookup.kind, lookup.value, account.apiVersion) +
      (lookup.widerSearch ? '?widerSearch=true' : '');
    const signal = AbortSignal.timeout(account.timeoutMs);
    let status: number;
    let body: Uint8Array;
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
    if (status !== 200) throw restStatusFailure(status, Buffer.from(body).toString('utf8'));
    return { transport: 'rest', body };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(): void },
  declaredLength: unknown,
  maxBytes: number,
): Promise<Uint8Array> {
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
  // A body of its own, never a slice of Node's shared pool, so that it can be moved to a worker.
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

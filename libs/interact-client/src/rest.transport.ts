import { Pool } from 'undici';
import { restFullFlowPath } from '@app/interact';
import type { FlowLookup, FlowTransport, UpstreamAnswer } from './flow-transport.js';
import { restStatusFailure } from './rest.payload.js';
import { credentialHeaders, type UpstreamAccount } from './upstream-account.js';
import { callSignal, fetchCapped, upstreamConnection } from './upstream-http.js';
import { UpstreamTimeoutError, callFailure } from './upstream.errors.js';

/** REST "Get Full Interaction Flow" over one keep-alive connection pool per account. */
export class RestFlowTransport implements FlowTransport {
  readonly kind = 'rest';
  private readonly pool: Pool;
  private readonly pathPrefix: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly account: UpstreamAccount) {
    this.headers = { accept: 'application/json, text/plain', ...credentialHeaders(account) };
    const base = new URL(account.baseUrl);
    this.pathPrefix = base.pathname.replace(/\/+$/, '');
    this.pool = new Pool(base.origin, {
      connections: 64,
      ...upstreamConnection(account.timeoutMs),
    });
  }

  async fetchAnswer(lookup: FlowLookup, cancel?: AbortSignal): Promise<UpstreamAnswer> {
    const { account } = this;
    const path =
      this.pathPrefix +
      restFullFlowPath(account.accountId, lookup.kind, lookup.value, account.apiVersion) +
      (lookup.widerSearch ? '?widerSearch=true' : '');
    const signal = callSignal(account.timeoutMs, cancel);
    let status: number;
    let body: Uint8Array;
    try {
      ({ status, body } = await fetchCapped(
        this.pool,
        {
          method: 'GET',
          path,
          signal,
          headers: this.headers,
        },
        account.maxResponseBytes,
      ));
    } catch (error) {
      if (signal.aborted) throw new UpstreamTimeoutError(`no answer within ${account.timeoutMs} ms`);
      throw callFailure(error);
    }
    if (status !== 200) throw restStatusFailure(status, Buffer.from(body).toString('utf8'));
    return { transport: 'rest', body };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

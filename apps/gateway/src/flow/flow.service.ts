import { Inject, Injectable, Logger } from '@nestjs/common';
import { UpstreamError, type FlowLookup } from '@app/interact-client';
import { AccountsService, type ConfiguredAccount } from '../accounts/accounts.service.js';
import { UpstreamUnavailableError } from '../accounts/resilient-transport.js';
import { FlowCacheService, OwnFailure, flowCacheKey, type Loaded, type Served } from '../cache/flow-cache.service.js';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { ProblemException } from '../problems/problem.js';
import { FlowRenderer, GatewayOverloadedError } from './flow.renderer.js';

/** A flow ready to send: its JSON bytes as stored, so a cache hit is written without re-serializing. */
export interface FlowResponse {
  body: Buffer;
  etag: string;
  cacheStatus: string;
  maxAgeSeconds: number;
}

const describeLookup = (lookup: FlowLookup) =>
  `${lookup.kind === 'interactionId' ? 'interaction' : 'caller attribute'} ${lookup.value}`;

const responseOf = ({ entry, cacheStatus, maxAgeSeconds }: Served): FlowResponse => ({
  body: entry.body,
  etag: entry.etag,
  cacheStatus,
  maxAgeSeconds,
});

@Injectable()
export class FlowService {
  private readonly logger = new Logger('Flow');

  constructor(
    private readonly accounts: AccountsService,
    private readonly cache: FlowCacheService,
    private readonly renderer: FlowRenderer,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /**
   * The flow of a lookup when the cache holds it fresh, undefined otherwise: the whole of a cache
   * hit, cheap enough to run before Nest (see CachedFlowHook). getFlow answers everything else.
   */
  async cachedFlow(accountId: string, lookup: FlowLookup): Promise<FlowResponse | undefined> {
    const configured = this.accounts.find(accountId);
    if (!configured) return undefined;
    const served = await this.cache.freshFlow(flowCacheKey(this.config.cache.keyPrefix, configured.account, lookup));
    return served && responseOf(served);
  }

  async getFlow(
    accountId: string,
    lookup: FlowLookup,
    options: { noCache: boolean; requestId: string; clientId: string },
  ): Promise<FlowResponse> {
    const configured = this.accounts.find(accountId);
    if (!configured) throw new ProblemException('account-not-found', `No Interact account ${accountId} is configured.`);
    const key = flowCacheKey(this.config.cache.keyPrefix, configured.account, lookup);
    const served = await this.cache.serve(key, configured.account, options.noCache, () =>
      this.load(configured, lookup, options),
    );
    const { entry } = served;
    const cacheHeaders = {
      'cache-status': served.cacheStatus,
      'cache-control': `private, max-age=${served.maxAgeSeconds}`,
    };
    if (entry.kind === 'not-found')
      throw new ProblemException('interaction-not-found', entry.detail ?? '', {}, cacheHeaders);
    return responseOf(served);
  }

  private async load(
    { account, transport }: ConfiguredAccount,
    lookup: FlowLookup,
    { requestId, clientId }: { requestId: string; clientId: string },
  ): Promise<Loaded> {
    const frame = {
      accountId: account.accountId,
      interactionId: lookup.kind === 'interactionId' ? lookup.value : null,
      lookup: { by: lookup.kind, value: lookup.value, widerSearch: lookup.widerSearch },
    };
    try {
      const body = await transport.call(lookup, (answer) => this.renderer.render(answer, frame), clientId);
      return { kind: 'flow', body };
    } catch (error) {
      if (error instanceof UpstreamError && error.kind === 'not-found') {
        return {
          kind: 'not-found',
          detail: lookup.widerSearch
            ? `No history for ${describeLookup(lookup)} in the last 12 months.`
            : `No history for ${describeLookup(lookup)} in the last 3 months. Retry with widerSearch=true to search the last 12 months.`,
        };
      }
      const problem = this.problemFor(error, account.accountId, account.timeoutMs, requestId);
      // Refused for this client's share alone: the requests of other clients that joined its load load for themselves.
      if (error instanceof UpstreamUnavailableError && error.reason === 'client_share_full')
        throw new OwnFailure(problem);
      throw problem;
    }
  }

  private problemFor(error: unknown, accountId: string, timeoutMs: number, requestId: string): unknown {
    if (error instanceof GatewayOverloadedError) {
      return new ProblemException(
        'gateway-overloaded',
        `Too many large histories are waiting to be read. Retry in ${error.retryAfterSeconds} s.`,
        {},
        { 'retry-after': String(error.retryAfterSeconds) },
      );
    }
    if (error instanceof UpstreamUnavailableError) {
      return new ProblemException(
        'upstream-unavailable',
        {
          circuit_open: `Interact is failing for account ${accountId}; its circuit is open. Retry in ${error.retryAfterSeconds} s.`,
          bulkhead_full: `Too many calls to Interact are waiting for account ${accountId}. Retry in ${error.retryAfterSeconds} s.`,
          client_share_full: `Too many of this client's calls to Interact are waiting for account ${accountId}. Retry in ${error.retryAfterSeconds} s.`,
        }[error.reason],
        {},
        { 'retry-after': String(error.retryAfterSeconds) },
      );
    }
    if (!(error instanceof UpstreamError)) return error;
    switch (error.kind) {
      case 'unauthorized':
        this.logger.error({
          requestId,
          msg: `Interact rejected the credentials of account ${accountId}: ${error.message}`,
        });
        return new ProblemException(
          'upstream-unauthorized',
          `Interact rejected the credentials configured for account ${accountId}.`,
        );
      case 'timeout':
        this.logger.warn({ requestId, msg: `Interact timed out for account ${accountId}: ${error.message}` });
        return new ProblemException(
          'upstream-timeout',
          `Interact did not answer within ${timeoutMs} ms for account ${accountId}.`,
        );
      default:
        this.logger.warn({ requestId, msg: `Interact failed for account ${accountId}: ${error.message}` });
        return new ProblemException('upstream-error', `Interact failed to answer for account ${accountId}.`);
    }
  }
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import { LoadFailure, OwnFailure } from '@app/cache';
import { UpstreamError, type FlowLookup } from '@app/interact-client';
import { AccountsService, type ConfiguredAccount } from '../accounts/accounts.service.js';
import { UpstreamUnavailableError } from '../accounts/resilient-transport.js';
import { FlowCacheService, flowCacheKey, type Loaded, type Served } from '../cache/flow-cache.service.js';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { PROBLEM_TYPES, type ProblemSlug } from '../problems/problem-types.js';
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

/**
 * A load's failure, named after the problem type that answers it: the problems layer turns it into
 * that problem, and the cache reads its status to decide whether a stale copy may answer instead.
 */
const failure = (
  kind: ProblemSlug,
  detail: string,
  { retryAfterSeconds, forwarded = true }: { retryAfterSeconds?: number; forwarded?: boolean } = {},
) => new LoadFailure({ kind, status: PROBLEM_TYPES[kind].status, detail, retryAfterSeconds, forwarded });

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
      const failed = this.failureOf(error, account.accountId, account.timeoutMs, requestId);
      // Refused for this client's share alone: the requests of other clients that joined its load load for themselves.
      if (error instanceof UpstreamUnavailableError && error.reason === 'client_share_full')
        throw new OwnFailure(failed);
      throw failed;
    }
  }

  /** The failure a load's callers are told of; an error of no known kind (a bug) is left for the problem filter's internal-error. */
  failureOf(error: unknown, accountId: string, timeoutMs: number, requestId: string): unknown {
    if (error instanceof GatewayOverloadedError) {
      return failure(
        'gateway-overloaded',
        `Too many large histories are waiting to be read. Retry in ${error.retryAfterSeconds} s.`,
        { retryAfterSeconds: error.retryAfterSeconds },
      );
    }
    if (error instanceof UpstreamUnavailableError) {
      return failure(
        'upstream-unavailable',
        {
          circuit_open: `Interact is failing for account ${accountId}; its circuit is open. Retry in ${error.retryAfterSeconds} s.`,
          bulkhead_full: `Too many calls to Interact are waiting for account ${accountId}. Retry in ${error.retryAfterSeconds} s.`,
          client_share_full: `Too many of this client's calls to Interact are waiting for account ${accountId}. Retry in ${error.retryAfterSeconds} s.`,
        }[error.reason],
        { retryAfterSeconds: error.retryAfterSeconds, forwarded: false },
      );
    }
    if (!(error instanceof UpstreamError)) return error;
    switch (error.kind) {
      case 'unauthorized':
        this.logger.error({
          requestId,
          msg: `Interact rejected the credentials of account ${accountId}: ${error.message}`,
        });
        return failure(
          'upstream-unauthorized',
          `Interact rejected the credentials configured for account ${accountId}.`,
        );
      case 'timeout':
        this.logger.warn({ requestId, msg: `Interact timed out for account ${accountId}: ${error.message}` });
        return failure('upstream-timeout', `Interact did not answer within ${timeoutMs} ms for account ${accountId}.`);
      default:
        this.logger.warn({ requestId, msg: `Interact failed for account ${accountId}: ${error.message}` });
        return failure('upstream-error', `Interact failed to answer for account ${accountId}.`);
    }
  }
}

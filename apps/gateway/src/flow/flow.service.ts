import { Injectable, Logger } from '@nestjs/common';
import { UpstreamError, type FlowLookup } from '@app/interact-client';
import { AccountsService } from '../accounts/accounts.service.js';
import { ProblemException } from '../problems/problem.js';
import type { Flow } from './flow.model.js';
import { normalizePages } from './flow.normalizer.js';

const describeLookup = (lookup: FlowLookup) =>
  `${lookup.kind === 'interactionId' ? 'interaction' : 'caller attribute'} ${lookup.value}`;

@Injectable()
export class FlowService {
  private readonly logger = new Logger('Flow');

  constructor(private readonly accounts: AccountsService) {}

  async getFlow(accountId: string, lookup: FlowLookup): Promise<Flow> {
    const configured = this.accounts.find(accountId);
    if (!configured) throw new ProblemException('account-not-found', `No Interact account ${accountId} is configured.`);
    let pages;
    try {
      pages = await configured.transport.fetchFlow(lookup);
    } catch (error) {
      throw this.problemFor(error, accountId, lookup, configured.account.timeoutMs);
    }
    return {
      accountId,
      interactionId: lookup.kind === 'interactionId' ? lookup.value : null,
      lookup: { by: lookup.kind, value: lookup.value, widerSearch: lookup.widerSearch },
      pages: normalizePages(pages),
    };
  }

  private problemFor(error: unknown, accountId: string, lookup: FlowLookup, timeoutMs: number): unknown {
    if (!(error instanceof UpstreamError)) return error;
    switch (error.kind) {
      case 'not-found':
        return new ProblemException(
          'interaction-not-found',
          lookup.widerSearch
            ? `No history for ${describeLookup(lookup)} in the last 12 months.`
            : `No history for ${describeLookup(lookup)} in the last 3 months. Retry with widerSearch=true to search the last 12 months.`,
        );
      case 'unauthorized':
        this.logger.error(`Interact rejected the credentials of account ${accountId}: ${error.message}`);
        return new ProblemException(
          'upstream-unauthorized',
          `Interact rejected the credentials configured for account ${accountId}.`,
        );
      case 'timeout':
        this.logger.warn(`Interact timed out for account ${accountId}: ${error.message}`);
        return new ProblemException(
          'upstream-timeout',
          `Interact did not answer within ${timeoutMs} ms for account ${accountId}.`,
        );
      case 'failed':
        this.logger.warn(`Interact failed for account ${accountId}: ${error.message}`);
        return new ProblemException('upstream-error', `Interact failed to answer for account ${accountId}.`);
    }
  }
}

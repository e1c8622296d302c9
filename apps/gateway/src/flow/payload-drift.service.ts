import { Injectable, Logger } from '@nestjs/common';
import type { UpstreamAnswer } from '@app/interact-client';
import { MetricsService } from '../metrics/metrics.service.js';

/** Distinct fields per account that get a label of their own; more would grow the metric without bound. */
export const UNKNOWN_FIELDS_PER_ACCOUNT = 50;
const OVERFLOW_FIELD = '_other';

/**
 * Makes Interact's changes to its payload visible to operators while callers still get their
 * histories: each unknown field is counted, and logged once per account and process.
 */
@Injectable()
export class PayloadDriftService {
  private readonly logger = new Logger('InteractPayload');
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly metrics: MetricsService) {}

  record(accountId: string, transport: UpstreamAnswer['transport'], unknownFields: readonly string[]): void {
    if (unknownFields.length === 0) return;
    let seen = this.seen.get(accountId);
    if (!seen) this.seen.set(accountId, (seen = new Set()));
    for (const field of unknownFields) {
      let label = field;
      if (!seen.has(field)) {
        if (seen.size < UNKNOWN_FIELDS_PER_ACCOUNT) {
          seen.add(field);
          this.logger.warn(
            `Interact sent a field the gateway does not know, for account ${accountId} (${transport}): ${field}; the history was read without it`,
          );
        } else {
          label = OVERFLOW_FIELD;
        }
      }
      this.metrics.payloadUnknown.inc({ account: accountId, transport, field: label });
    }
  }
}

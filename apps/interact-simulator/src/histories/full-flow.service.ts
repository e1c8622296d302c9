import type { IncomingHttpHeaders } from 'node:http';
import { Injectable } from '@nestjs/common';
import { notFoundSentence, type InteractPage, type LookupKind } from '@app/interact';
import { CredentialsService, header } from '../credentials/credentials.service.js';
import { FaultInjectionService } from '../faults/fault-injection.service.js';
import type { HostilePayload } from '../faults/hostile-payloads.js';
import type { SimulatorTransport } from '../simulator.config.js';
import { HistoryRepository } from './history.repository.js';
import { DEMO_IDS, type SeededHistory } from './demo-histories.js';

export interface FullFlowQuery {
  transport: SimulatorTransport;
  headers: IncomingHttpHeaders;
  /** REST names the account in its path; SOAP leaves it to the tenant header. */
  accountId?: string;
  kind: LookupKind;
  value: string;
  widerSearch: boolean;
}

export type FullFlowAnswer =
  | { outcome: 'unauthorized'; reason: string }
  | { outcome: 'found'; history: SeededHistory; pages: readonly object[]; recorded: boolean }
  | { outcome: 'empty' }
  | { outcome: 'not-found'; sentence: string }
  | { outcome: 'internal-error' }
  | { outcome: 'hostile'; payload: Exclude<HostilePayload, 'none'>; pages: InteractPage[] };

/** What Interact decides for one full-flow request, before either transport renders it. */
@Injectable()
export class FullFlowService {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly faults: FaultInjectionService,
    private readonly histories: HistoryRepository,
  ) {}

  async answer(query: FullFlowQuery): Promise<FullFlowAnswer> {
    const { kind, value, widerSearch } = query;
    const { fail, hostile } = await this.faults.admit(
      query.transport,
      {
        traceparent: header(query.headers, 'traceparent'),
        acceptEncoding: header(query.headers, 'accept-encoding'),
        baggage: header(query.headers, 'baggage'),
      },
      { kind, value, widerSearch },
    );
    const credentials = this.credentials.check(query.headers, query.accountId);
    if (!credentials.ok) return { outcome: 'unauthorized', reason: credentials.reason };
    if (hostile !== 'none') return { outcome: 'hostile', payload: hostile, pages: this.realPages() };
    if (fail) return { outcome: 'internal-error' };
    const found = this.histories.find(query.kind, query.value, query.widerSearch);
    switch (found.status) {
      case 'found':
        return { outcome: 'found', history: found.history, pages: found.pages, recorded: found.recorded };
      case 'not-found':
        return { outcome: 'not-found', sentence: notFoundSentence(query.transport, query.kind, query.value) };
      default:
        return { outcome: found.status };
    }
  }

  /** What hostile payloads repeat, cut or poison, whatever was asked: the demo claim's pages. */
  private realPages(): InteractPage[] {
    const claim = this.histories.find('interactionId', DEMO_IDS.claim, false);
    if (claim.status !== 'found' || claim.history.outcome.kind !== 'pages')
      throw new Error('the demo claim is missing');
    return claim.history.outcome.pages;
  }

  json(history: SeededHistory, pages: readonly object[]): string {
    return this.histories.json(history, pages);
  }
}

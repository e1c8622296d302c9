import type { LookupKind } from '@app/interact';
import type { UpstreamTransportKind } from './upstream-account.js';

export interface FlowLookup {
  kind: LookupKind;
  value: string;
  widerSearch: boolean;
}

/**
 * An answer of Interact that may hold a history, its body unread. Reading it is left to the
 * caller (see readUpstreamAnswer) so that it can happen off the event loop: a 5,000-page history
 * is megabytes of XML.
 */
export type UpstreamAnswer =
  | { transport: 'rest'; body: Uint8Array }
  | {
      transport: 'soap';
      /** 200 for an answer, 500 for a fault. */
      status: number;
      /** The element the called operation answers with. */
      responseElement: string;
      body: Uint8Array;
    };

/**
 * Interact's "Get Full Interaction Flow" for one account, whatever the wire. Resolves with an
 * answer to read, or rejects with an UpstreamError for what the status line alone settles
 * (not found over REST, rejected credentials, errors, timeouts, oversize bodies). `cancel` ends
 * the call early, as a timeout: the caller's own deadline passed.
 */
export interface FlowTransport {
  readonly kind: UpstreamTransportKind;
  fetchAnswer(lookup: FlowLookup, cancel?: AbortSignal): Promise<UpstreamAnswer>;
  close(): Promise<void>;
}

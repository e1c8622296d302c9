import type { InteractPage, LookupKind } from '@app/interact';
import type { UpstreamTransportKind } from './upstream-account.js';

export interface FlowLookup {
  kind: LookupKind;
  value: string;
  widerSearch: boolean;
}

/**
 * Interact's "Get Full Interaction Flow" for one account, whatever the wire. Resolves with the
 * pages (none for a found-but-empty history) or rejects with an UpstreamError.
 */
export interface FlowTransport {
  readonly kind: UpstreamTransportKind;
  fetchFlow(lookup: FlowLookup): Promise<InteractPage[]>;
  close(): Promise<void>;
}

/** What a failed load tells each of its callers: plain data, so that it can be stored for other replicas. */
export interface LoadFailureFacts {
  /** Names what failed; whoever answers the caller turns it into an answer (the gateway, a problem type). */
  kind: string;
  /** The status it is answered with: 500 and above for a failure on the server's side, not the caller's. */
  status: number;
  detail: string;
  /** Seconds after which a retry may succeed, when the failure knows. */
  retryAfterSeconds?: number;
  /** Whether the load reached the origin: one refused before it asked (an open circuit, a full bulkhead) did not. */
  forwarded: boolean;
}

/** A load's failure, the same for every caller that waited for the load, in this replica or another. */
export class LoadFailure extends Error implements LoadFailureFacts {
  readonly kind: string;
  readonly status: number;
  readonly detail: string;
  readonly retryAfterSeconds?: number;
  readonly forwarded: boolean;
  /** RFC 9211 Cache-Status of the answer it becomes, once a cache has said how it answered. */
  cacheStatus?: string;

  constructor({ kind, status, detail, retryAfterSeconds, forwarded }: LoadFailureFacts) {
    super(detail);
    this.kind = kind;
    this.status = status;
    this.detail = detail;
    this.retryAfterSeconds = retryAfterSeconds;
    this.forwarded = forwarded;
  }
}

/**
 * A failure on the server's side: every caller of the load would meet it, so it is shared with
 * them, and a stale copy may answer for it. A caller's own mistake is neither.
 */
export const isServerFailure = (error: unknown): error is LoadFailure =>
  error instanceof LoadFailure && error.status >= 500;

/**
 * What can go wrong upstream, stripped to what the gateway may act on and log. These never carry
 * upstream bodies, request headers or client error objects: those hold application keys.
 */
export abstract class UpstreamError extends Error {
  abstract readonly kind: 'not-found' | 'unauthorized' | 'failed' | 'timeout';
}

export class UpstreamNotFoundError extends UpstreamError {
  readonly kind = 'not-found';
}

export class UpstreamUnauthorizedError extends UpstreamError {
  readonly kind = 'unauthorized';
}

/** Upstream answered with an error, an answer that cannot be parsed, or not at all. */
export class UpstreamFailedError extends UpstreamError {
  readonly kind = 'failed';

  constructor(
    message: string,
    /** Whether another try may succeed: a network failure or a 502/503/504, never an answer that was wrong. */
    readonly retryable = false,
  ) {
    super(message);
  }
}

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** The HTTP client's own failure, known only by its code: the rest of its error may quote the request. */
export function networkFailure(code: string | undefined): UpstreamFailedError {
  return new UpstreamFailedError(
    `request failed: ${code ?? 'network error'}`,
    code === undefined || TRANSIENT_NETWORK_CODES.has(code),
  );
}

/** A call that ended without an answer: the gateway's own verdict as it is, else the client's code alone. */
export function callFailure(error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  return networkFailure((error as { code?: string } | undefined)?.code);
}

export function statusFailure(status: number): UpstreamFailedError {
  return new UpstreamFailedError(`upstream answered ${status}`, status === 502 || status === 503 || status === 504);
}

export class UpstreamTimeoutError extends UpstreamError {
  readonly kind = 'timeout';
}

/** The payload did not have the shape of Interact's page model. */
export class PayloadError extends UpstreamFailedError {}

/** An UpstreamError as plain data, which a worker thread's messages can carry where classes cannot. */
export interface UpstreamErrorData {
  kind: UpstreamError['kind'];
  message: string;
  retryable: boolean;
}

export function toUpstreamErrorData(error: UpstreamError): UpstreamErrorData {
  return {
    kind: error.kind,
    message: error.message,
    retryable: error instanceof UpstreamFailedError && error.retryable,
  };
}

export function fromUpstreamErrorData({ kind, message, retryable }: UpstreamErrorData): UpstreamError {
  switch (kind) {
    case 'not-found':
      return new UpstreamNotFoundError(message);
    case 'unauthorized':
      return new UpstreamUnauthorizedError(message);
    case 'timeout':
      return new UpstreamTimeoutError(message);
    case 'failed':
      return new UpstreamFailedError(message, retryable);
  }
}

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
}

export class UpstreamTimeoutError extends UpstreamError {
  readonly kind = 'timeout';
}

/** The payload did not have the shape of Interact's page model. */
export class PayloadError extends UpstreamFailedError {}

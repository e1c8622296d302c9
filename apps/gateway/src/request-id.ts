/**
 * A caller's X-Request-Id that the gateway keeps as the request's id; anything else is replaced by
 * a UUID, which this matches too. The OpenAPI document states it for the header and `requestId`.
 */
export const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

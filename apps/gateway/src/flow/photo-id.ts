import { createHash } from 'node:crypto';

/** base64url characters: 132 bits of SHA-256. */
const PHOTO_ID_LENGTH = 22;

/** The route's rule. */
export const PHOTO_ID_PATTERN = new RegExp(`^[A-Za-z0-9_-]{${PHOTO_ID_LENGTH}}$`);

/** The same rule as the OpenAPI document states it, wherever a photo id appears. */
export const PHOTO_ID_SCHEMA = {
  pattern: PHOTO_ID_PATTERN.source,
  minLength: PHOTO_ID_LENGTH,
  maxLength: PHOTO_ID_LENGTH,
} as const;

/**
 * A photo's opaque id: a digest of its device path. It names a path only through the flow that
 * lists it (the photo route finds the path among the flow's photos), so no id can be made to
 * stand for a path of the caller's choosing, and callers never see the path's double encoding.
 */
export function photoIdOf(path: string): string {
  return createHash('sha256').update(path).digest('base64url').slice(0, PHOTO_ID_LENGTH);
}

/** The photo route's URL, for a flow found by interaction id. */
export function photoHref(accountId: string, interactionId: string, photoId: string): string {
  return `/v1/accounts/${encodeURIComponent(accountId)}/interactions/${encodeURIComponent(interactionId)}/photos/${photoId}`;
}

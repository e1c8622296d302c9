import { createHash } from 'node:crypto';

/** 22 base64url characters: 132 bits of SHA-256, as the route's rule requires. */
export const PHOTO_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/**
 * A photo's opaque id: a digest of its device path. It names a path only through the flow that
 * lists it (the photo route finds the path among the flow's photos), so no id can be made to
 * stand for a path of the caller's choosing, and callers never see the path's double encoding.
 */
export function photoIdOf(path: string): string {
  return createHash('sha256').update(path).digest('base64url').slice(0, 22);
}

/** The photo route's URL, for a flow found by interaction id. */
export function photoHref(accountId: string, interactionId: string, photoId: string): string {
  return `/v1/accounts/${encodeURIComponent(accountId)}/interactions/${encodeURIComponent(interactionId)}/photos/${photoId}`;
}

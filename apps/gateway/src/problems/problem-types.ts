/**
 * Every problem the gateway answers with, by the stable slug that ends its type URI. Each has a
 * page at GET /problems/{slug}; the titles are fixed, the details are per occurrence.
 */
export const PROBLEM_TYPES = {
  'validation-failed': {
    status: 400,
    title: 'The request is not valid',
    description:
      'A path segment or query parameter broke its rules. The errors member lists each field and what was wrong. Nothing was sent upstream.',
  },
  'bad-request': {
    status: 400,
    title: 'The request could not be read',
    description:
      'The request was malformed (for example a URL that is not valid percent-encoded UTF-8) and was rejected before routing.',
  },
  unauthorized: {
    status: 401,
    title: 'An API key is needed',
    description: 'The request sent no API key. Send the key of your client as Authorization: Bearer <key>.',
  },
  // A type of its own rather than another title for unauthorized: RFC 9457 keeps a type's title the same in every occurrence.
  'invalid-api-key': {
    status: 401,
    title: 'The API key is not valid',
    description:
      'The request sent an API key that belongs to no client (WWW-Authenticate says error="invalid_token"). Check the key of your client.',
  },
  forbidden: {
    status: 403,
    title: 'This client may not read this account',
    description: 'The API key is valid, but its client is not allowed the account in the path.',
  },
  'rate-limited': {
    status: 429,
    title: 'Too many requests',
    description:
      'The client has used up its requests for the current minute. Retry after the number of seconds in the Retry-After header.',
  },
  'uri-too-long': {
    status: 414,
    title: 'The request URL is too long',
    description: 'URLs longer than 12,288 characters are refused before routing.',
  },
  'method-not-allowed': {
    status: 405,
    title: 'The path does not take this method',
    description:
      'The path exists, but not for the method of the request. The Allow header lists the methods it takes: GET and HEAD for every path of the API.',
  },
  'not-acceptable': {
    status: 406,
    title: 'The request accepts none of the types the answer comes in',
    description:
      'The Accept header weighs every type the operation answers in at 0, or names none of them: application/json for a flow, an image type for a photo. Problems, this one included, are always application/problem+json.',
  },
  'headers-too-large': {
    status: 431,
    title: 'The request headers are too large',
    description:
      'The request header section is larger than the gateway reads (16 KiB, Node.js’s maxHeaderSize). It is refused before routing, and the connection closes.',
  },
  'not-found': {
    status: 404,
    title: 'No such resource',
    description: 'No route of this API matches the requested method and path.',
  },
  'account-not-found': {
    status: 404,
    title: 'Unknown account',
    description: 'The gateway has no Interact account configured under this id.',
  },
  'interaction-not-found': {
    status: 404,
    title: 'Interaction history not found',
    description:
      'Interact has no history for this interaction id or caller attribute. By default Interact searches the last 3 months; widerSearch=true searches the last 12.',
  },
  'photo-not-found': {
    status: 404,
    title: 'Photo not found',
    description:
      'The interaction’s flow lists no photo with this id, or Interact no longer holds the image (flows can be set to delete their images when they end). Take photo links from the flow, never build them.',
  },
  'upstream-unauthorized': {
    status: 502,
    title: 'Interact rejected the gateway’s credentials',
    description:
      'The application key, tenant id or environment name configured for this account is wrong. The caller cannot fix this; operators can, and the gateway log names the account.',
  },
  'upstream-error': {
    status: 502,
    title: 'Interact failed',
    description: 'Interact answered with an error, or with a body that could not be understood.',
  },
  'upstream-timeout': {
    status: 504,
    title: 'Interact did not answer in time',
    description: 'Interact took longer than the timeout configured for this account.',
  },
  'upstream-unavailable': {
    status: 503,
    title: 'Interact is not being asked right now',
    description:
      'Calls to Interact for this account failed too often, so its circuit is open, or too many calls are already waiting. Retry after the number of seconds in the Retry-After header.',
  },
  'gateway-overloaded': {
    status: 503,
    title: 'The gateway is too busy',
    description:
      'Interact answered, but this gateway instance had too many large histories waiting to be read, and refused this one rather than slow every request down. Interact is not at fault. Retry after the number of seconds in the Retry-After header.',
  },
  'internal-error': {
    status: 500,
    title: 'Internal error',
    description:
      'Something unexpected went wrong inside the gateway. The requestId identifies the occurrence in its logs.',
  },
} as const satisfies Record<string, { status: number; title: string; description: string }>;

export type ProblemSlug = keyof typeof PROBLEM_TYPES;

export const PROBLEM_SLUGS = Object.keys(PROBLEM_TYPES) as ProblemSlug[];

export const isProblemSlug = (slug: string): slug is ProblemSlug => Object.hasOwn(PROBLEM_TYPES, slug);

/** A problem's `type`: its page's URI, absolute under the gateway's public base URL when it has one. */
export function problemTypeUri(slug: ProblemSlug, publicBaseUrl: string | undefined): string {
  return `${publicBaseUrl ?? ''}/problems/${slug}`;
}

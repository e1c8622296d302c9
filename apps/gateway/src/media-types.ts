import { RouteConfig } from '@nestjs/platform-fastify';
import type { preValidationHookHandler } from 'fastify';
import { problemBody, sendProblem } from './problems/problem.filter.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The media types a route answers in (a subtype may be "*"): what its request's Accept must admit one of. */
    produces?: readonly string[];
  }
}

/** Declares the media types a route answers in, for the Accept check of every request to it. */
export const Produces = (...mediaTypes: string[]) => RouteConfig({ produces: mediaTypes });

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

const QUALITY = /^\s*q\s*=\s*([0-9.]+)\s*$/i;

function mediaRanges(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const [range, ...parameters] = part.split(';');
    const [type, subtype] = range.trim().toLowerCase().split('/');
    if (!type || !subtype) continue;
    const weight = parameters.map((parameter) => QUALITY.exec(parameter)?.[1]).find((value) => value !== undefined);
    const q = weight === undefined ? 1 : Number(weight);
    ranges.push({ type, subtype, q: Number.isNaN(q) ? 1 : q });
  }
  return ranges;
}

const specificity = (range: MediaRange) => (range.type === '*' ? 0 : range.subtype === '*' ? 1 : 2);

/** The weight Accept gives a media type: that of the most specific ranges matching it (RFC 9110 §12.5.1). */
function weightOf(mediaType: string, ranges: MediaRange[]): number {
  const [type, subtype] = mediaType.split('/');
  let best: MediaRange | undefined;
  for (const range of ranges) {
    const matches =
      range.type === '*' ||
      (range.type === type && (range.subtype === '*' || subtype === '*' || range.subtype === subtype));
    if (!matches) continue;
    // Among ranges equally specific, the most favourable: a wildcard type may stand for several.
    if (
      !best ||
      specificity(range) > specificity(best) ||
      (specificity(range) === specificity(best) && range.q > best.q)
    )
      best = range;
  }
  return best?.q ?? 0;
}

/**
 * Whether the request's Accept admits one of the media types, read liberally: no Accept, one the
 * gateway cannot read, wildcards, parameters and weights all admit; only an Accept that weighs
 * every one of them at 0, or names none, refuses.
 */
export function acceptsAny(accept: string | undefined, mediaTypes: readonly string[]): boolean {
  if (accept === undefined || accept === '*/*') return true;
  const ranges = mediaRanges(accept);
  return ranges.length === 0 || mediaTypes.some((mediaType) => weightOf(mediaType, ranges) > 0);
}

/**
 * A route's own preValidation hook: after authentication (onRequest) and before both paths of a
 * request, the cache-hit hook (preHandler) and Nest's handler, which validates.
 */
export function refuseUnacceptable(
  mediaTypes: readonly string[],
  publicBaseUrl: string | undefined,
): preValidationHookHandler {
  const detail = `The request's Accept admits none of ${mediaTypes.join(', ')}.`;
  return (request, reply, done) => {
    if (acceptsAny(request.headers.accept, mediaTypes)) return done();
    void sendProblem(reply, 406, problemBody('not-acceptable', detail, request, publicBaseUrl));
  };
}

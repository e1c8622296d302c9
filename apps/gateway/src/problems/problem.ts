import type { LoadFailure } from '@app/cache';
import { isProblemSlug, type ProblemSlug } from './problem-types.js';

export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, as the gateway sends them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  errors?: FieldError[];
}

/** Thrown anywhere below a controller; the problem filter renders it. */
export class ProblemException extends Error {
  constructor(
    readonly slug: ProblemSlug,
    readonly detail: string,
    readonly extensions: { errors?: FieldError[] } = {},
    /** Response headers that belong to this answer, such as Cache-Status. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

/**
 * The problem a failed load is answered with: the type its kind names, with its retry-after and
 * the Cache-Status its cache gave it as headers. Undefined for a kind that names no problem type.
 */
export function loadFailureProblem(failure: LoadFailure): ProblemException | undefined {
  if (!isProblemSlug(failure.kind)) return undefined;
  const headers: Record<string, string> = {};
  if (failure.retryAfterSeconds !== undefined) headers['retry-after'] = String(failure.retryAfterSeconds);
  if (failure.cacheStatus !== undefined) headers['cache-status'] = failure.cacheStatus;
  return new ProblemException(failure.kind, failure.detail, {}, headers);
}

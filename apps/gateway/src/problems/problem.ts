import type { ProblemSlug } from './problem-types.js';

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

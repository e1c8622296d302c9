import { Catch, HttpException, Inject, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { PROBLEM_TYPES, type ProblemSlug } from './problem-types.js';
import { ProblemException, type Problem } from './problem.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemTypeUri(slug: ProblemSlug, publicBaseUrl: string | undefined): string {
  return `${publicBaseUrl ?? ''}/problems/${slug}`;
}

export function problemBody(
  slug: ProblemSlug,
  detail: string,
  request: { url: string; id: string },
  publicBaseUrl: string | undefined,
  extensions: object = {},
): Problem {
  const { status, title } = PROBLEM_TYPES[slug];
  return {
    type: problemTypeUri(slug, publicBaseUrl),
    title,
    status,
    detail,
    instance: request.url,
    requestId: request.id,
    ...extensions,
  };
}

/** The one way a problem goes on the wire, from Nest's filter and from Fastify's own hooks alike. */
export function sendProblem(reply: FastifyReply, status: number, problem: Problem): FastifyReply {
  return reply.status(status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/**
 * Renders every error as application/problem+json. Only ProblemException details reach the
 * caller; anything else becomes a generic problem so that no stack trace or upstream body leaks.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problems');

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { slug, detail, extensions, status } = this.describe(exception, request);
    if (exception instanceof ProblemException) void reply.headers(exception.headers);
    void sendProblem(reply, status, problemBody(slug, detail, request, this.config.publicBaseUrl, extensions));
  }

  private describe(exception: unknown, request: FastifyRequest) {
    if (exception instanceof ProblemException) {
      return {
        slug: exception.slug,
        detail: exception.detail,
        extensions: exception.extensions,
        status: PROBLEM_TYPES[exception.slug].status,
      };
    }
    if (exception instanceof ThrottlerException) {
      // The throttler has set Retry-After on the reply already.
      return {
        slug: 'rate-limited' as const,
        detail: `Client ${request.client?.id ?? ''} sent more requests this minute than it may.`,
        extensions: {},
        status: 429,
      };
    }
    const status =
      exception instanceof HttpException ? exception.getStatus() : (exception as { statusCode?: unknown })?.statusCode;
    if (status === 404) {
      return {
        slug: 'not-found' as const,
        detail: `No route for ${request.method} ${request.url.split('?')[0]}.`,
        extensions: {},
        status,
      };
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Framework rejections (malformed body, unsupported media type, oversize payload) keep their status.
      return {
        slug: 'bad-request' as const,
        detail: 'The request was rejected before it reached the API.',
        extensions: {},
        status,
      };
    }
    this.logger.error(
      {
        requestId: request.id,
        err:
          exception instanceof Error
            ? { name: exception.name, message: exception.message, stack: exception.stack }
            : String(exception),
      },
      'unexpected error',
    );
    return { slug: 'internal-error' as const, detail: 'The gateway failed unexpectedly.', extensions: {}, status: 500 };
  }
}

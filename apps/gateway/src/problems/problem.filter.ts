import { Catch, HttpException, Inject, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LoadFailure } from '@app/cache';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { PROBLEM_TYPES, problemTypeUri, type ProblemSlug } from './problem-types.js';
import { ProblemException, loadFailureProblem, type Problem } from './problem.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

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

/** The detail of a request no route takes. */
export const noRouteDetail = (method: string, url: string) => `No route for ${method} ${url.split('?', 1)[0]}.`;

/** The one way a problem goes on the wire, from Nest's filter and from Fastify's own hooks alike. */
export function sendProblem(reply: FastifyReply, status: number, problem: Problem): FastifyReply {
  return reply.status(status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** A ProblemException answered where Nest's filter does not reach: in Fastify's hooks. */
export function sendProblemException(
  reply: FastifyReply,
  exception: ProblemException,
  publicBaseUrl: string | undefined,
): FastifyReply {
  const { slug, detail, extensions, headers } = exception;
  return sendProblem(
    reply.headers(headers),
    PROBLEM_TYPES[slug].status,
    problemBody(slug, detail, reply.request, publicBaseUrl, extensions),
  );
}

/**
 * Renders every error as application/problem+json. Only the details of a ProblemException or of a
 * failed load reach the caller; anything else becomes a generic problem so that no stack trace or
 * upstream body leaks.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problems');

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const problem = exception instanceof LoadFailure ? (loadFailureProblem(exception) ?? exception) : exception;
    if (problem instanceof ProblemException) {
      void sendProblemException(reply, problem, this.config.publicBaseUrl);
      return;
    }
    const { slug, detail, status } = this.describe(problem, request);
    void sendProblem(reply, status, problemBody(slug, detail, request, this.config.publicBaseUrl));
  }

  private describe(exception: unknown, request: FastifyRequest) {
    const status =
      exception instanceof HttpException ? exception.getStatus() : (exception as { statusCode?: unknown })?.statusCode;
    if (status === 404) {
      return {
        slug: 'not-found' as const,
        detail: noRouteDetail(request.method, request.url),
        status,
      };
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Framework rejections (malformed body, unsupported media type, oversize payload) keep their status.
      return {
        slug: 'bad-request' as const,
        detail: 'The request was rejected before it reached the API.',
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
    return { slug: 'internal-error' as const, detail: 'The gateway failed unexpectedly.', status: 500 };
  }
}

import { Controller, Get, Headers, Param, Query, Res, applyDecorators } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExcludeEndpoint,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { API_KEY_SCHEME } from '../docs/openapi.js';
import { Produces } from '../media-types.js';
import { ApiProblemResponses, REQUEST_ID_HEADER, type HeaderDoc } from '../problems/problem.dto.js';
import { FlowDto, FlowQuery, type AccountParams } from './flow.dto.js';
import { ACCOUNT_ROUTE, LOOKUP_ROUTES, type LookupRoute } from './flow.lookups.js';
import { FLOW_MEDIA_TYPES, sendFlow, wantsNoCache } from './flow.http.js';
import { FlowService } from './flow.service.js';

export const FLOW_PROBLEMS = [
  'validation-failed',
  'bad-request',
  'unauthorized',
  'invalid-api-key',
  'forbidden',
  'method-not-allowed',
  'not-acceptable',
  'rate-limited',
  'uri-too-long',
  'headers-too-large',
  'account-not-found',
  'interaction-not-found',
  'upstream-unauthorized',
  'upstream-error',
  'upstream-timeout',
  'upstream-unavailable',
  'gateway-overloaded',
  'internal-error',
] as const;

const CACHE_HEADERS: Record<string, HeaderDoc> = {
  ETag: {
    description: 'Strong validator of the flow; send it back in If-None-Match.',
    required: true,
    schema: { type: 'string', example: '"kQ1u5tX2mEo0rJ9c3Y7aZ4pW8sV"' },
  },
  'Cache-Control': {
    // No <placeholder>: Swagger UI reads descriptions as Markdown, and drops what looks like an HTML tag.
    description: '`private, max-age=N`, N being the seconds the flow stays fresh.',
    required: true,
    schema: { type: 'string', example: 'private, max-age=300' },
  },
  'Cache-Status': {
    description: 'RFC 9211: hit, fwd=miss, fwd=stale or fwd=request, with ttl in seconds.',
    required: true,
    schema: { type: 'string', example: 'interact-flow-gateway; hit; ttl=287' },
  },
  'X-Request-Id': REQUEST_ID_HEADER,
};

function FlowResponses(example: object) {
  return applyDecorators(
    ApiHeader({
      name: 'If-None-Match',
      required: false,
      description: 'An ETag from an earlier answer: 304 when it still matches.',
    }),
    ApiHeader({
      name: 'Cache-Control',
      required: false,
      description: '"no-cache" fetches from Interact and refreshes the cached copy.',
    }),
    ApiOkResponse({ type: FlowDto, description: 'The normalized flow.', example, headers: CACHE_HEADERS }),
    ApiResponse({
      status: 304,
      description: 'Not modified: the If-None-Match ETag still matches.',
      headers: CACHE_HEADERS,
    }),
    // A not-found answer is cached like a flow, briefly.
    ApiProblemResponses(FLOW_PROBLEMS, {
      'interaction-not-found': {
        'Cache-Status': CACHE_HEADERS['Cache-Status'],
        'Cache-Control': CACHE_HEADERS['Cache-Control'],
      },
    }),
  );
}

/** The lookup routes, one handler each, made from LOOKUP_ROUTES below the class. */
@ApiTags('flows')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller(ACCOUNT_ROUTE)
export class FlowController {
  constructor(private readonly flows: FlowService) {}

  /** What the handler of every lookup route does, once Nest has validated its parameters and query. */
  async lookUp(
    route: LookupRoute,
    params: AccountParams,
    query: FlowQuery,
    headers: Record<string, string | undefined>,
    reply: FastifyReply,
  ): Promise<FastifyReply> {
    const lookup = { kind: route.kind, value: route.value(params), widerSearch: query.widerSearch === 'true' };
    const flow = await this.flows.getFlow(params.accountId, lookup, {
      noCache: wantsNoCache(headers['cache-control'], headers.pragma),
      requestId: reply.request.id,
      // AuthAndRateLimitHook identified the client of every request under /v1/ before it came here.
      clientId: reply.request.client!.id,
    });
    return sendFlow(reply, flow, headers['if-none-match']);
  }
}

/**
 * Gives FlowController a GET handler for a lookup route, with the metadata that TypeScript and the
 * decorators leave on a method written out: Nest's router, its pipes and @nestjs/swagger read
 * nothing else.
 */
function defineHandler(name: string, route: LookupRoute, path: string, documentation: MethodDecorator): void {
  const prototype = FlowController.prototype;
  // A function of the method's own name: @nestjs/swagger finds a handler's parameters by it.
  const { [name]: handler } = {
    [name](
      this: FlowController,
      params: AccountParams,
      query: FlowQuery,
      headers: Record<string, string | undefined>,
      reply: FastifyReply,
    ): Promise<FastifyReply> {
      return this.lookUp(route, params, query, headers, reply);
    },
  };
  Object.defineProperty(prototype, name, { value: handler, writable: true, configurable: true });
  // Emitted by TypeScript for a decorated method: the validation pipe and the document take the DTOs from it.
  Reflect.defineMetadata('design:paramtypes', [route.params, FlowQuery, Object, Object], prototype, name);
  // In the order TypeScript applies them: the parameters' from the last, then the method's.
  Res()(prototype, name, 3);
  Headers()(prototype, name, 2);
  Query()(prototype, name, 1);
  Param()(prototype, name, 0);
  applyDecorators(documentation, Produces(...FLOW_MEDIA_TYPES), Get(path))(
    prototype,
    name,
    Object.getOwnPropertyDescriptor(prototype, name),
  );
}

for (const route of LOOKUP_ROUTES) {
  const name = route.operation.operationId;
  defineHandler(name, route, route.path, applyDecorators(ApiOperation(route.operation), FlowResponses(route.example)));
  // The router cannot match an empty segment to a parameter; this twin lets validation say so with a 400.
  defineHandler(`${name}OfEmptyValue`, route, route.path.replace(/:\w+/, ''), ApiExcludeEndpoint());
}

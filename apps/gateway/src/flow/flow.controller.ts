import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
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
import type { FlowLookup } from '@app/interact-client';
import { API_KEY_SCHEME } from '../docs/openapi.js';
import { ApiProblemResponses } from '../problems/problem.dto.js';
import { CallerAttributeFlowParams, FLOW_EXAMPLE, FlowDto, FlowQuery, InteractionFlowParams } from './flow.dto.js';
import { sendFlow, wantsNoCache } from './flow.http.js';
import { FlowService } from './flow.service.js';

const FLOW_PROBLEMS = [
  'validation-failed',
  'bad-request',
  'unauthorized',
  'forbidden',
  'rate-limited',
  'uri-too-long',
  'account-not-found',
  'interaction-not-found',
  'upstream-unauthorized',
  'upstream-error',
  'upstream-timeout',
  'upstream-unavailable',
  'gateway-overloaded',
  'internal-error',
] as const;

const CACHE_HEADERS = {
  ETag: {
    description: 'Strong validator of the flow; send it back in If-None-Match.',
    schema: { type: 'string', example: '"kQ1u5tX2mEo0rJ9c3Y7aZ4pW8sV"' },
  },
  'Cache-Control': {
    description: 'private, max-age=<seconds the flow stays fresh>',
    schema: { type: 'string', example: 'private, max-age=300' },
  },
  'Cache-Status': {
    description: 'RFC 9211: hit, fwd=miss, fwd=stale or fwd=request, with ttl in seconds.',
    schema: { type: 'string', example: 'interact-flow-gateway; hit; ttl=287' },
  },
  'X-Request-Id': {
    description: 'Identifies the request in the logs.',
    schema: { type: 'string', example: '5f0c6f4e-8a53-4c51-9a8e-2a1f0b1c9d77' },
  },
};

function FlowResponses(example: object) {
  return (target: object, key: string | symbol, descriptor: PropertyDescriptor) => {
    ApiHeader({
      name: 'If-None-Match',
      required: false,
      description: 'An ETag from an earlier answer: 304 when it still matches.',
    })(target, key, descriptor);
    ApiHeader({
      name: 'Cache-Control',
      required: false,
      description: '"no-cache" fetches from Interact and refreshes the cached copy.',
    })(target, key, descriptor);
    ApiOkResponse({ type: FlowDto, description: 'The normalized flow.', example, headers: CACHE_HEADERS })(
      target,
      key,
      descriptor,
    );
    ApiResponse({
      status: 304,
      description: 'Not modified: the If-None-Match ETag still matches.',
      headers: CACHE_HEADERS,
    })(target, key, descriptor);
    // A not-found answer is cached like a flow, briefly.
    ApiProblemResponses(FLOW_PROBLEMS, {
      'interaction-not-found': {
        'Cache-Status': CACHE_HEADERS['Cache-Status'],
        'Cache-Control': CACHE_HEADERS['Cache-Control'],
      },
    })(target, key, descriptor);
  };
}

/** Route paths, shared with CachedFlowHook, which answers cache hits on them before Nest does. */
export const FLOW_ROUTES = {
  base: 'v1/accounts/:accountId',
  interaction: 'interactions/:interactionId/flow',
  callerAttribute: 'caller-attributes/:callerAttribute/flow',
} as const;

@ApiTags('flows')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller(FLOW_ROUTES.base)
export class FlowController {
  constructor(private readonly flows: FlowService) {}

  @Get(FLOW_ROUTES.interaction)
  @ApiOperation({
    operationId: 'getInteractionFlow',
    summary: 'Get the full flow of an interaction',
    description: 'Every page the customer navigated in the interaction, with their answers and uploaded photo paths.',
  })
  @FlowResponses(FLOW_EXAMPLE)
  byInteraction(
    @Param() params: InteractionFlowParams,
    @Query() query: FlowQuery,
    @Headers() headers: Record<string, string | undefined>,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return this.respond(
      params.accountId,
      { kind: 'interactionId', value: params.interactionId, widerSearch: query.widerSearch === 'true' },
      headers,
      reply,
    );
  }

  @Get(FLOW_ROUTES.callerAttribute)
  @ApiOperation({
    operationId: 'getCallerAttributeFlow',
    summary: 'Get the full flow found by a caller attribute',
    description:
      'The latest interaction that carries the caller attribute (DTMF, DNID, call-return number, caller id or history search id).',
  })
  @FlowResponses({
    ...FLOW_EXAMPLE,
    interactionId: null,
    lookup: { by: 'callerAttribute', value: '112233', widerSearch: false },
  })
  byCallerAttribute(
    @Param() params: CallerAttributeFlowParams,
    @Query() query: FlowQuery,
    @Headers() headers: Record<string, string | undefined>,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return this.respond(
      params.accountId,
      { kind: 'callerAttribute', value: params.callerAttribute, widerSearch: query.widerSearch === 'true' },
      headers,
      reply,
    );
  }

  // The router cannot match an empty segment to a parameter; these routes let validation say so with a 400.
  @Get('interactions//flow')
  @ApiExcludeEndpoint()
  byEmptyInteraction(
    @Param() params: InteractionFlowParams,
    @Query() query: FlowQuery,
    @Headers() headers: Record<string, string | undefined>,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return this.byInteraction(params, query, headers, reply);
  }

  @Get('caller-attributes//flow')
  @ApiExcludeEndpoint()
  byEmptyCallerAttribute(
    @Param() params: CallerAttributeFlowParams,
    @Query() query: FlowQuery,
    @Headers() headers: Record<string, string | undefined>,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return this.byCallerAttribute(params, query, headers, reply);
  }

  private async respond(
    accountId: string,
    lookup: FlowLookup,
    headers: Record<string, string | undefined>,
    reply: FastifyReply,
  ): Promise<FastifyReply> {
    const flow = await this.flows.getFlow(accountId, lookup, {
      noCache: wantsNoCache(headers['cache-control'], headers.pragma),
      requestId: reply.request.id,
      // ApiKeyHook identified the client of every request under /v1/ before it came here.
      clientId: reply.request.client!.id,
    });
    return sendFlow(reply, flow, headers['if-none-match']);
  }
}

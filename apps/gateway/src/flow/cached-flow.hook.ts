import { Injectable, type ArgumentMetadata, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { LookupKind } from '@app/interact';
import { GatewayValidationPipe } from '../validation.pipe.js';
import { FLOW_ROUTES } from './flow.controller.js';
import { CallerAttributeFlowParams, FlowQuery, InteractionFlowParams } from './flow.dto.js';
import { sendFlow, wantsNoCache } from './flow.http.js';
import { FlowService } from './flow.service.js';

interface HitRoute {
  kind: LookupKind;
  params: ArgumentMetadata;
  valueOf: (params: Record<string, string>) => string;
}

const QUERY: ArgumentMetadata = { type: 'query', metatype: FlowQuery };

const HIT_ROUTES = new Map<string, HitRoute>([
  [
    `/${FLOW_ROUTES.base}/${FLOW_ROUTES.interaction}`,
    {
      kind: 'interactionId',
      params: { type: 'param', metatype: InteractionFlowParams },
      valueOf: (params) => params.interactionId,
    },
  ],
  [
    `/${FLOW_ROUTES.base}/${FLOW_ROUTES.callerAttribute}`,
    {
      kind: 'callerAttribute',
      params: { type: 'param', metatype: CallerAttributeFlowParams },
      valueOf: (params) => params.callerAttribute,
    },
  ],
]);

/**
 * Answers fresh cache hits of the flow routes from a Fastify hook, after ApiKeyHook has admitted
 * the request and before Nest's router, pipes and controller: they cost a cache hit more than
 * everything else together. The input passes Nest's own validation pipe, the one instance the
 * application has; whatever is not a fresh hit (a miss, a stale or negative entry, no-cache,
 * invalid input, any doubt) goes on to FlowController, which answers every case.
 */
@Injectable()
export class CachedFlowHook implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly flows: FlowService,
    private readonly validation: GatewayValidationPipe,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('preHandler', async (request, reply) => {
      const route = HIT_ROUTES.get(request.routeOptions.url ?? '');
      const { headers } = request;
      if (!route || wantsNoCache(headers['cache-control'], headers.pragma)) return;
      const params = request.params as Record<string, string>;
      const query = request.query as FlowQuery;
      if (!(this.validation.passedBefore(params, route.params) || (await this.passes(params, route.params)))) return;
      if (!(this.validation.passedBefore(query, QUERY) || (await this.passes(query, QUERY)))) return;
      const flow = await this.flows.cachedFlow(params.accountId, {
        kind: route.kind,
        value: route.valueOf(params),
        widerSearch: query.widerSearch === 'true',
      });
      if (flow) return sendFlow(reply, flow, headers['if-none-match']);
    });
  }

  private passes(value: unknown, metadata: ArgumentMetadata): Promise<boolean> {
    return this.validation.transform(value, metadata).then(
      () => true,
      () => false,
    );
  }
}

import { Injectable, type ArgumentMetadata, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { GatewayValidationPipe } from '../validation.pipe.js';
import { FlowQuery, type AccountParams } from './flow.dto.js';
import { sendFlow, wantsNoCache } from './flow.http.js';
import { ACCOUNT_ROUTE, LOOKUP_ROUTES, type LookupRoute } from './flow.lookups.js';
import { FlowService } from './flow.service.js';

interface HitRoute {
  route: LookupRoute;
  /** As Nest describes the route's @Param() to its pipe, so that both find the same memory. */
  params: ArgumentMetadata;
}

const QUERY: ArgumentMetadata = { type: 'query', metatype: FlowQuery };

const HIT_ROUTES = new Map<string, HitRoute>(
  LOOKUP_ROUTES.map((route) => [
    `/${ACCOUNT_ROUTE}/${route.path}`,
    { route, params: { type: 'param', metatype: route.params } },
  ]),
);

/**
 * Answers fresh cache hits of the lookup routes from a Fastify hook, after AuthAndRateLimitHook has admitted
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
      const hit = HIT_ROUTES.get(request.routeOptions.url ?? '');
      const { headers } = request;
      if (!hit || wantsNoCache(headers['cache-control'], headers.pragma)) return;
      const params = request.params as AccountParams;
      const query = request.query as FlowQuery;
      if (!(this.validation.passedBefore(params, hit.params) || (await this.passes(params, hit.params)))) return;
      if (!(this.validation.passedBefore(query, QUERY) || (await this.passes(query, QUERY)))) return;
      const flow = await this.flows.cachedFlow(params.accountId, {
        kind: hit.route.kind,
        value: hit.route.value(params),
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

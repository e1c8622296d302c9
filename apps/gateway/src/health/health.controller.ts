import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import type { SharedStore } from '@app/cache';
import { AccountsService } from '../accounts/accounts.service.js';
import { CACHE_STORE } from '../cache/cache.tokens.js';
import { LifecycleService } from './lifecycle.service.js';

/**
 * Probes for Kubernetes, open to them without credentials. Readiness fails only while draining:
 * a Redis outage (with its reason, never its cause, which names hosts) or an open circuit is
 * reported, since the gateway still answers without them.
 */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly lifecycle: LifecycleService,
    @Inject(CACHE_STORE) private readonly store: SharedStore,
    private readonly accounts: AccountsService,
  ) {}

  @Get('live')
  live(@Res() reply: FastifyReply): Promise<void> {
    return this.answer(reply, () => this.health.check([]));
  }

  @Get('ready')
  ready(@Res() reply: FastifyReply): Promise<void> {
    return this.answer(reply, () =>
      this.health.check([
        () => {
          const check = this.indicator.check('lifecycle');
          return this.lifecycle.shuttingDown ? check.down({ state: 'shutting-down' }) : check.up({ state: 'serving' });
        },
        () => {
          const health = this.store.health();
          return this.indicator.check('cache').up({
            store: this.store.kind,
            state: health.state,
            ...(health.state === 'degraded' && { reason: health.reason }),
          });
        },
        () => this.indicator.check('upstream').up({ circuits: this.accounts.circuitStates() }),
      ]),
    );
  }

  private async answer(reply: FastifyReply, run: () => Promise<HealthCheckResult>): Promise<void> {
    try {
      await reply.status(200).send(await run());
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      await reply.status(503).send(error.getResponse());
    }
  }
}

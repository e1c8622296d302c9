import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import type { SharedStore } from '@app/cache';
import { AccountsService } from '../accounts/accounts.service.js';
import { CACHE_STORE } from '../cache/cache.tokens.js';
import { LifecycleService } from './lifecycle.service.js';

export interface ProbeAnswer {
  status: 200 | 503;
  /** Terminus' result; when it fails, what its exception carries. */
  body: HealthCheckResult | string | object;
}

/**
 * The probes for Kubernetes, answered on the admin port only (AdminServer): readiness lists every
 * account and its circuit, which is nobody's business on the API port. Readiness fails only while
 * draining: a Redis outage (with its reason, never its cause, which names hosts) or an open
 * circuit is reported, since the gateway still answers without them.
 */
@Injectable()
export class HealthChecks {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly lifecycle: LifecycleService,
    @Inject(CACHE_STORE) private readonly store: SharedStore,
    private readonly accounts: AccountsService,
  ) {}

  live(): Promise<ProbeAnswer> {
    return this.answer(() => this.health.check([]));
  }

  ready(): Promise<ProbeAnswer> {
    return this.answer(() =>
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

  private async answer(run: () => Promise<HealthCheckResult>): Promise<ProbeAnswer> {
    try {
      return { status: 200, body: await run() };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      return { status: 503, body: error.getResponse() };
    }
  }
}

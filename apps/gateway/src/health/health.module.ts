import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AccountsModule } from '../accounts/accounts.module.js';
import { CacheModule } from '../cache/cache.module.js';
import { HealthChecks } from './health.checks.js';
import { LifecycleService } from './lifecycle.service.js';

/** No controller: the probes are served by AdminServer, on the admin port alone. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), AccountsModule, CacheModule],
  providers: [LifecycleService, HealthChecks],
  exports: [LifecycleService, HealthChecks],
})
export class HealthModule {}

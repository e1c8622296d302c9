import { Global, Module } from '@nestjs/common';
import { MetricsService } from './metrics.service.js';
import { RequestMetricsHook } from './request-metrics.hook.js';

/** No controller: GET /metrics is served by AdminServer, on the admin port alone. */
@Global()
@Module({
  providers: [MetricsService, RequestMetricsHook],
  exports: [MetricsService, RequestMetricsHook],
})
export class MetricsModule {}

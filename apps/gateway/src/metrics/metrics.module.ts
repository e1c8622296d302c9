import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';
import { RequestMetricsHook } from './request-metrics.hook.js';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, RequestMetricsHook],
  exports: [MetricsService],
})
export class MetricsModule {}

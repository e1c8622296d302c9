import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { GatewayConfigModule } from './config/gateway-config.module.js';
import type { GatewayConfig } from './config/gateway.config.js';
import { AuthModule } from './auth/auth.module.js';
import { FlowModule } from './flow/flow.module.js';
import { HealthModule } from './health/health.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { ProblemsModule } from './problems/problems.module.js';
import { ValidationModule } from './validation.module.js';

@Module({})
export class AppModule {
  static forConfig(config: GatewayConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        GatewayConfigModule.forConfig(config),
        LoggingModule.forLogger(logger),
        MetricsModule,
        ProblemsModule,
        ValidationModule,
        AuthModule,
        HealthModule,
        FlowModule,
      ],
    };
  }
}

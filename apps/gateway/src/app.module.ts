import { Module, type DynamicModule } from '@nestjs/common';
import { GatewayConfigModule } from './config/gateway-config.module.js';
import type { GatewayConfig } from './config/gateway.config.js';
import { AdminModule } from './admin/admin.module.js';
import { AuthModule } from './auth/auth.module.js';
import { FlowModule } from './flow/flow.module.js';
import { HealthModule } from './health/health.module.js';
import type { GatewayLoggers } from './logging/logger.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { ProblemsModule } from './problems/problems.module.js';
import { ValidationModule } from './validation.module.js';

@Module({})
export class AppModule {
  static forConfig(config: GatewayConfig, loggers: GatewayLoggers): DynamicModule {
    return {
      module: AppModule,
      imports: [
        GatewayConfigModule.forConfig(config),
        LoggingModule.forLoggers(loggers),
        MetricsModule,
        ProblemsModule,
        ValidationModule,
        AuthModule,
        HealthModule,
        FlowModule,
        AdminModule,
      ],
    };
  }
}
